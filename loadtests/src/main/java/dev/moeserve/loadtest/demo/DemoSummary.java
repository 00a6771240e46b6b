package dev.moeserve.loadtest.demo;

import dev.moeserve.model.bundle.Manifest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.PrintStream;
import java.util.Map;

/** Prints the demo's measured figures as compact tables. */
final class DemoSummary {

    private final PrintStream out;

    DemoSummary(PrintStream out) {
        this.out = out;
    }

    void accuracy(double fullAccuracy, Replay replay) {
        out.printf("%nAccuracy on the replayed test images%n");
        out.printf("  %-22s %8s %8s %9s%n", "policy", "images", "requests", "accuracy");
        out.printf("  %-22s %8s %8s %8.2f%%%n", "full model (topk)", "", "", fullAccuracy * 100);
        for (Map.Entry<String, Replay.Tally> entry : replay.byPolicy().entrySet()) {
            Replay.Tally t = entry.getValue();
            out.printf("  %-22s %8d %8d %8.2f%%%n", entry.getKey(), t.images, t.requests,
                    100.0 * t.correct / Math.max(1, t.images));
        }
        if (!replay.failures().isEmpty()) {
            out.printf("  failed requests by kind: %s%n", replay.failures());
        }
    }

    /** Share of routed tokens per expert and layer, from the router's {@code moe.expert.tokens} counters. */
    void expertUsage(MeterRegistry registry, int layers, int experts) {
        double[][] tokens = new double[layers][experts];
        for (Counter counter : registry.find("moe.expert.tokens").counters()) {
            int layer = Integer.parseInt(counter.getId().getTag("layer"));
            int expert = Integer.parseInt(counter.getId().getTag("expert"));
            tokens[layer][expert] += counter.count();
        }
        out.printf("%nExpert usage: share of routed tokens (%%) per layer, served and shadow policies%n");
        StringBuilder header = new StringBuilder("  layer");
        for (int e = 0; e < experts; e++) {
            header.append(String.format("%4d", e));
        }
        out.println(header.append("  balancedness"));
        for (int l = 0; l < layers; l++) {
            double total = 0;
            double max = 0;
            int used = 0;
            for (double t : tokens[l]) {
                total += t;
                max = Math.max(max, t);
                used += t > 0 ? 1 : 0;
            }
            StringBuilder row = new StringBuilder(String.format("  %5d", l));
            for (double t : tokens[l]) {
                row.append(t == 0 ? "   ." : String.format("%4.0f", 100 * t / Math.max(1, total)));
            }
            double mean = used == 0 ? 0 : total / experts;
            row.append(String.format("  %.2f", max == 0 ? 0 : mean / max));
            out.println(row);
        }
    }

    void latency(Replay replay) {
        var h = replay.latency();
        out.printf("%nThroughput and latency over %d requests (%d over gRPC), %d images%n", replay.requests(),
                replay.grpcRequests(), replay.images());
        out.printf("  %.1f requests/s, %.1f images/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                replay.requests() / replay.seconds(), replay.images() / replay.seconds(),
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6);
    }

    void memory(Manifest full, Manifest reduced, long loadedBytes) {
        out.printf("%nBytes of expert weights%n");
        out.printf("  full bundle     %,12d bytes (%d experts)%n", full.expertBytes(), count(full));
        out.printf("  keep-0.5 pool   %,12d bytes (%d experts, %.0f%% of full)%n", reduced.expertBytes(),
                count(reduced), 100.0 * reduced.expertBytes() / full.expertBytes());
        out.printf("  loaded by this router %,6d bytes (all experts, so that the topk shadow can run)%n",
                loadedBytes);
    }

    private static int count(Manifest m) {
        return m.layers().stream().mapToInt(l -> l.keptExperts().size()).sum();
    }

    void urls(int httpPort, String model, java.nio.file.Path requestFile) {
        String base = "http://127.0.0.1:" + httpPort;
        out.printf("%nTry it%n");
        out.printf("  metrics:        %s/metrics%n", base);
        out.printf("  model metadata: %s/v2/models/%s%n", base, model);
        out.printf("  one image:      curl -s -H 'content-type: application/json' -d @%s %s/v2/models/%s/infer%n",
                requestFile, base, model);
    }
}
