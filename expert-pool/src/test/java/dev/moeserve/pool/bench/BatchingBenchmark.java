package dev.moeserve.pool.bench;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.ExpertFixtures;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Plain benchmark, not a test: throughput and latency of one fixture expert (width 64, hidden 128) with
 * and without micro-batching, for concurrent callers that each keep one call in flight.
 *
 * <p>Run after {@code mvn test-compile} with the test classpath, for example
 * {@code java -cp "$(cat cp.txt)" dev.moeserve.pool.bench.BatchingBenchmark 16 4 2000}: callers, tokens per
 * call, calls per caller. Set {@code ORT_DISABLE_TELEMETRY=1} in the environment first.
 */
public final class BatchingBenchmark {

    private BatchingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int callers = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int tokensPerCall = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int callsPerCaller = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        Path dir = Files.createTempDirectory("batching-benchmark");
        Bundle bundle = ExpertFixtures.writeBundle(dir, 1, 2);
        ExpertId id = new ExpertId(0, 0);

        System.out.printf("%d callers x %d calls of %d tokens each%n", callers, callsPerCaller, tokensPerCall);
        for (Duration window : List.of(Duration.ZERO, Duration.ofMillis(1))) {
            PoolOptions options = PoolOptions.builder().batchWindow(window).build();
            try (LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.of(List.of(id)), options)) {
                run(pool, id, callers, tokensPerCall, callsPerCaller / 10);
                Result result = run(pool, id, callers, tokensPerCall, callsPerCaller);
                System.out.printf("window %4d us: %9.0f calls/s %10.0f tokens/s, latency p50 %7.1f us, p99 %7.1f us%n",
                        window.toNanos() / 1000, result.callsPerSecond(), result.callsPerSecond() * tokensPerCall,
                        result.percentileMicros(0.50), result.percentileMicros(0.99));
            }
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    private static Result run(LocalExpertPool pool, ExpertId id, int callers, int tokens, int calls) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        long started = System.nanoTime();
        List<Future<long[]>> latencies = new ArrayList<>();
        for (int caller = 0; caller < callers; caller++) {
            float[] input = ExpertFixtures.tokens(caller, tokens);
            latencies.add(threads.submit(() -> {
                long[] nanos = new long[calls];
                for (int call = 0; call < calls; call++) {
                    long callStarted = System.nanoTime();
                    CompletableFuture<float[]> output = pool.run(id, input, tokens, ExpertFixtures.WIDTH);
                    output.get(60, TimeUnit.SECONDS);
                    nanos[call] = System.nanoTime() - callStarted;
                }
                return nanos;
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> future : latencies) {
            all.add(future.get());
        }
        long elapsed = System.nanoTime() - started;
        threads.shutdown();
        long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        return new Result(merged, elapsed);
    }

    private record Result(long[] sortedLatencyNanos, long elapsedNanos) {

        double callsPerSecond() {
            return sortedLatencyNanos.length * 1e9 / elapsedNanos;
        }

        double percentileMicros(double quantile) {
            int index = (int) Math.min(sortedLatencyNanos.length - 1, Math.floor(quantile * sortedLatencyNanos.length));
            return sortedLatencyNanos[index] / 1000.0;
        }
    }
}
