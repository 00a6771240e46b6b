package dev.moeserve.loadtest.demo;

import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.Reply;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.model.progress.ProgressBar;
import dev.moeserve.model.progress.ProgressLine;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends every batch once with at most {@code concurrency} requests in flight and tallies, per serving
 * policy, the images and the correct predictions, plus request latency and failures by kind.
 */
final class Replay {

    /** Images and correct predictions of one policy. */
    static final class Tally {
        int images;
        int correct;
        int requests;
        final List<Integer> batches = new java.util.ArrayList<>();

        int images() {
            return images;
        }

        int correct() {
            return correct;
        }

        /** Indices of the batches this policy served, in the order replies arrived. */
        List<Integer> batches() {
            return batches;
        }
    }

    private final ProgressBar progress;
    private final int totalRequests;
    private final Histogram latency = new Histogram(60_000_000_000L, 3);
    private final Map<String, Tally> byPolicy = new TreeMap<>();
    private final Map<String, Integer> failures = new TreeMap<>();
    private final AtomicInteger done = new AtomicInteger();
    private final long started = System.nanoTime();
    private long finished;
    private int grpcRequests;

    Replay(PrintStream console, int totalRequests) {
        this.progress = new ProgressBar(ProgressLine.on(console), "replayed requests", totalRequests);
        this.totalRequests = totalRequests;
    }

    /** Sends {@code batches} through {@code client}; {@code offset} numbers the callers across clients. */
    void run(InferenceClient client, List<RequestBatch> batches, int offset, int concurrency) {
        Semaphore slots = new Semaphore(concurrency);
        boolean grpc = client.describe().startsWith("grpc");
        for (int i = 0; i < batches.size(); i++) {
            slots.acquireUninterruptibly();
            RequestBatch batch = batches.get(i);
            long sent = System.nanoTime();
            int number = offset + i;
            CompletableFuture<Reply> reply = client.infer(i, "caller-" + number);
            reply.whenComplete((r, error) -> {
                record(number, batch, r, error, System.nanoTime() - sent, grpc);
                slots.release();
            });
        }
        slots.acquireUninterruptibly(concurrency);
    }

    private synchronized void record(int number, RequestBatch batch, Reply reply, Throwable error, long nanos, boolean grpc) {
        latency.recordValue(Math.min(nanos, latency.getHighestTrackableValue()));
        if (grpc) {
            grpcRequests++;
        }
        if (error != null || !reply.succeeded()) {
            failures.merge(error != null ? error.getClass().getSimpleName() : reply.error(), 1, Integer::sum);
        } else {
            Tally tally = byPolicy.computeIfAbsent(reply.policy() == null ? "(no policy header)" : reply.policy(),
                    p -> new Tally());
            tally.requests++;
            tally.batches.add(number);
            for (int i = 0; i < batch.size(); i++) {
                tally.images++;
                if (reply.labels() != null && reply.labels()[i] == batch.labels()[i]) {
                    tally.correct++;
                }
            }
        }
        progress.update(done.incrementAndGet(), "");
    }

    void finish() {
        finished = System.nanoTime();
        progress.finish(String.format("%d of %d in %.1f s", done.get(), totalRequests, seconds()));
    }

    double seconds() {
        return (finished - started) / 1e9;
    }

    synchronized Map<String, Tally> byPolicy() {
        return byPolicy;
    }

    synchronized Map<String, Integer> failures() {
        return failures;
    }

    synchronized Histogram latency() {
        return latency;
    }

    int requests() {
        return totalRequests;
    }

    int grpcRequests() {
        return grpcRequests;
    }

    int images() {
        return byPolicy.values().stream().mapToInt(t -> t.images).sum();
    }
}
