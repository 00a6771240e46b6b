package dev.moeserve.loadtest.demo;

import dev.moeserve.loadtest.testing.RepositoryFiles;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.profiler.report.ServedAccuracy;
import dev.moeserve.router.inference.Policies;
import dev.moeserve.router.inference.RoutingPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the demo on the committed model with a small limit, through real HTTP and gRPC on loopback, and
 * checks that the accuracy it reports per policy equals what the evaluation path (the one
 * {@code ./moe evaluate} uses) computes for the same images under the same policy.
 */
class DemoEndToEndTest {

    private static final int LIMIT = 96;
    private static final int BATCH = 8;

    @TempDir
    Path out;

    @Test
    void demoAccuracyMatchesEvaluation() throws Exception {
        Path root = RepositoryFiles.root();
        DemoCommand demo = new DemoCommand();
        int exit = new CommandLine(demo).execute("--bundle", root.resolve("models/fashion-vit-moe").toString(),
                "--limit", Integer.toString(LIMIT), "--batch", Integer.toString(BATCH), "--http-port", "0",
                "--grpc-port", "0", "--out", out.toString(), "--concurrency", "4");
        assertThat(exit).isZero();

        Replay replay = demo.lastReplay();
        assertThat(replay.failures()).isEmpty();
        assertThat(replay.images()).isEqualTo(LIMIT);
        assertThat(replay.grpcRequests()).as("a share of the requests went over gRPC").isPositive();

        Bundle full = Bundle.open(root.resolve("models/fashion-vit-moe"));
        Manifest pool = Bundle.open(out.resolve("fashion-vit-moe-keep50")).manifest();
        FashionMnist.Split test = FashionMnist.readTest(root.resolve("data/fashion-mnist"));
        try (ServedAccuracy evaluation = new ServedAccuracy(full)) {
            for (Map.Entry<String, Replay.Tally> entry : replay.byPolicy().entrySet()) {
                FashionMnist.Split images = subset(test, entry.getValue().batches());
                ServedAccuracy.Outcome expected = evaluation.run(images, images.count(), policy(entry.getKey(), pool));
                assertThat(entry.getValue().images()).isEqualTo(images.count());
                assertThat(entry.getValue().correct()).as("correct predictions of %s", entry.getKey())
                        .isEqualTo((int) Math.round(expected.accuracy() * images.count()));
            }
        }
        assertThat(replay.byPolicy()).containsKeys("agf-prior");
    }

    private static RoutingPolicy policy(String name, Manifest pool) {
        List<List<Integer>> pools = new ArrayList<>();
        List<double[]> priors = new ArrayList<>();
        for (MoeLayerSpec layer : pool.layers()) {
            pools.add(layer.keptExperts());
            priors.add(layer.priorArray());
        }
        int experts = pool.layer(0).experts();
        return switch (name) {
            case "agf-prior" -> Policies.agfPrior(name, pools, priors, 0.5, experts);
            case "masked" -> Policies.masked(name, pools, experts);
            default -> throw new AssertionError("the demo table has no policy " + name);
        };
    }

    private static FashionMnist.Split subset(FashionMnist.Split test, List<Integer> batches) {
        List<Integer> sorted = new ArrayList<>(batches);
        sorted.sort(null);
        int count = 0;
        for (int b : sorted) {
            count += Math.min(BATCH, LIMIT - b * BATCH);
        }
        byte[] images = new byte[count * FashionMnist.PIXELS];
        byte[] labels = new byte[count];
        int at = 0;
        for (int b : sorted) {
            for (int i = b * BATCH; i < Math.min(LIMIT, (b + 1) * BATCH); i++, at++) {
                System.arraycopy(test.images(), i * FashionMnist.PIXELS, images, at * FashionMnist.PIXELS,
                        FashionMnist.PIXELS);
                labels[at] = (byte) test.label(i);
            }
        }
        return new FashionMnist.Split(images, labels);
    }
}
