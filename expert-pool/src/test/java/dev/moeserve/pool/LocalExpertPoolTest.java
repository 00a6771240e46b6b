package dev.moeserve.pool;

import dev.moeserve.model.bundle.Bundle;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The in-process pool on real ONNX Runtime sessions of a fixture bundle of 2 layers of 4 experts. */
class LocalExpertPoolTest {

    private static final int WIDTH = ExpertFixtures.WIDTH;

    private static Bundle bundle;

    @BeforeAll
    static void writeBundle(@TempDir Path dir) {
        NativeRuntime.assumeOnnxRuntime();
        bundle = ExpertFixtures.writeBundle(dir, 2, 4);
    }

    @Test
    void concurrentCallersGetExactlyTheirOwnOutputs() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PoolOptions options = PoolOptions.builder().batchWindow(Duration.ofMillis(2)).build();
        ExpertId id = new ExpertId(0, 1);
        int threads = 32;
        int callsPerThread = 20;
        Map<Integer, float[]> inputs = new TreeMap<>();
        Map<Integer, float[]> expected = new TreeMap<>();
        try (ExpertSession direct = directSession(id)) {
            for (int call = 0; call < threads * callsPerThread; call++) {
                int tokenCount = 1 + call % 5;
                float[] tokens = ExpertFixtures.tokens(1000 + call, tokenCount);
                inputs.put(call, tokens);
                // NOTE: compared bitwise, because ONNX Runtime 1.29 on the x86-64 development machines gives a
                // row the same bits alone or inside a batch. Differences in the last bits only would point
                // at another CPU's GEMM kernels rather than at rows mixed between callers.
                expected.put(call, direct.run(tokens, tokenCount, WIDTH));
            }
        }

        Map<Integer, float[]> actual = new TreeMap<>();
        try (LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.all(), options, registry)) {
            ExecutorService callers = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Map<Integer, float[]>>> results = new ArrayList<>();
            for (int thread = 0; thread < threads; thread++) {
                int first = thread * callsPerThread;
                results.add(callers.submit(() -> {
                    start.await();
                    Map<Integer, CompletableFuture<float[]>> pending = new TreeMap<>();
                    for (int call = first; call < first + callsPerThread; call++) {
                        float[] tokens = inputs.get(call);
                        pending.put(call, pool.run(id, tokens, tokens.length / WIDTH, WIDTH));
                    }
                    Map<Integer, float[]> outputs = new TreeMap<>();
                    for (Map.Entry<Integer, CompletableFuture<float[]>> entry : pending.entrySet()) {
                        outputs.put(entry.getKey(), entry.getValue().get(60, TimeUnit.SECONDS));
                    }
                    return outputs;
                }));
            }
            start.countDown();
            for (Future<Map<Integer, float[]>> result : results) {
                actual.putAll(result.get(120, TimeUnit.SECONDS));
            }
            callers.shutdown();

            DistributionSummary callsPerRun = registry.get(PoolMetrics.BATCH_CALLS).tags("layer", "0", "expert", "1")
                    .summary();
            assertThat(callsPerRun.max()).as("most calls in one ONNX Runtime run").isGreaterThan(1);
            assertThat(callsPerRun.count()).as("ONNX Runtime runs").isLessThan(threads * callsPerThread);
            double tokensSent = inputs.values().stream().mapToInt(tokens -> tokens.length / WIDTH).sum();
            assertThat(registry.get(PoolMetrics.TOKENS).tags("layer", "0", "expert", "1").counter().count())
                    .isEqualTo(tokensSent);
        }

        assertThat(actual).hasSameSizeAs(expected);
        for (int call : expected.keySet()) {
            assertThat(actual.get(call)).as("outputs of call %d", call).containsExactly(expected.get(call));
        }
    }

    @Test
    void zeroWindowRunsCallsUnbatched() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PoolOptions options = PoolOptions.builder().batchWindow(Duration.ZERO).build();
        ExpertId id = new ExpertId(1, 3);
        try (LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.all(), options, registry);
             ExpertSession direct = directSession(id)) {
            List<CompletableFuture<float[]>> futures = new ArrayList<>();
            for (int call = 0; call < 40; call++) {
                futures.add(pool.run(id, ExpertFixtures.tokens(call, 2), 2, WIDTH));
            }
            for (int call = 0; call < 40; call++) {
                assertThat(futures.get(call).get(30, TimeUnit.SECONDS))
                        .containsExactly(direct.run(ExpertFixtures.tokens(call, 2), 2, WIDTH));
            }
            assertThat(registry.get(PoolMetrics.BATCH_CALLS).summary().max()).isEqualTo(1);
        }
    }

    @Test
    void fullQueueOverloadsThenCloseDrains() throws Exception {
        PoolOptions options = PoolOptions.builder().batchWindow(PoolOptions.MAX_BATCH_WINDOW).queueCapacity(3)
                .build();
        ExpertId id = new ExpertId(0, 0);
        LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.of(List.of(id)), options);
        List<CompletableFuture<float[]>> accepted = new ArrayList<>();
        for (int call = 0; call < 3; call++) {
            accepted.add(pool.run(id, ExpertFixtures.tokens(call, 1), 1, WIDTH));
        }

        CompletableFuture<float[]> rejected = pool.run(id, ExpertFixtures.tokens(9, 1), 1, WIDTH);

        assertThatThrownBy(() -> rejected.get(30, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(PoolOverloadedException.class)
                .hasMessageContaining("expert 0:0");
        assertThat(accepted).noneMatch(CompletableFuture::isDone);
        assertThat(pool.queuedCalls()).isEqualTo(3);

        pool.close();

        try (ExpertSession direct = directSession(id)) {
            for (int call = 0; call < 3; call++) {
                assertThat(accepted.get(call).getNow(null)).as("call %d completed by close", call)
                        .containsExactly(direct.run(ExpertFixtures.tokens(call, 1), 1, WIDTH));
            }
        }
        assertThatThrownBy(() -> pool.run(id, ExpertFixtures.tokens(1, 1), 1, WIDTH).get(30, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(BackendClosedException.class);
    }

    @Test
    void shardsHalveTheWeightBytes() {
        try (LocalExpertPool full = LocalExpertPool.fromBundle(bundle, PoolOptions.defaults());
             LocalExpertPool first = LocalExpertPool.fromBundle(bundle, ExpertSelection.shard(0, 2),
                     PoolOptions.defaults());
             LocalExpertPool second = LocalExpertPool.fromBundle(bundle, ExpertSelection.shard(1, 2),
                     PoolOptions.defaults())) {
            assertThat(full.experts()).hasSize(8);
            assertThat(first.experts()).containsExactly(new ExpertId(0, 0), new ExpertId(0, 1), new ExpertId(0, 2),
                    new ExpertId(0, 3));
            assertThat(second.experts()).containsExactly(new ExpertId(1, 0), new ExpertId(1, 1), new ExpertId(1, 2),
                    new ExpertId(1, 3));
            assertThat((double) first.weightBytes() / full.weightBytes()).isBetween(0.45, 0.55);
            assertThat(first.weightBytes() + second.weightBytes()).isEqualTo(full.weightBytes());
            assertThat(full.weightBytes()).isEqualTo(bundle.manifest().expertBytes());
        }
    }

    @Test
    void expertsOutsidePoolAreRejected() {
        ExpertSelection selection = ExpertSelection.parseExperts("0:1,5:0");

        assertThatThrownBy(() -> LocalExpertPool.fromBundle(bundle, selection, PoolOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[5:0]");
    }

    @Test
    void reducedBundleLoadsOnlyItsPool(@TempDir Path dir) {
        Bundle reduced = ExpertFixtures.writeBundle(dir, 2, 4, List.of(1, 3));

        try (LocalExpertPool pool = LocalExpertPool.fromBundle(reduced, PoolOptions.defaults())) {
            assertThat(pool.experts()).containsExactly(new ExpertId(0, 1), new ExpertId(0, 3), new ExpertId(1, 1),
                    new ExpertId(1, 3));
        }
    }

    @Test
    void loadFromFilesServesThem(@TempDir Path dir) throws Exception {
        ExpertId id = new ExpertId(2, 5);
        Path file = ExpertFixtures.writeExpert(dir, 2, 5);

        try (LocalExpertPool pool = LocalExpertPool.load(Map.of(id, file))) {
            float[] tokens = ExpertFixtures.tokens(3, 4);
            assertThat(pool.run(id, tokens, 4, WIDTH).get(30, TimeUnit.SECONDS)).hasSize(4 * WIDTH);
            assertThat(pool.weightBytes()).isEqualTo(Files.size(file));
        }
    }

    @Test
    void metricsDescribeThePool() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.shard(0, 2),
                PoolOptions.defaults(), registry)) {
            pool.run(new ExpertId(0, 2), ExpertFixtures.tokens(1, 3), 3, WIDTH).get(30, TimeUnit.SECONDS);

            assertThat(registry.get(PoolMetrics.WEIGHT_BYTES).gauge().value()).isEqualTo(pool.weightBytes());
            assertThat(registry.get(PoolMetrics.EXPERTS).gauge().value()).isEqualTo(4);
            assertThat(registry.get(PoolMetrics.INFO).tag("execution.provider", "cpu").tag("device", "cpu").gauge()
                    .value()).isEqualTo(1);
            assertThat(registry.get(PoolMetrics.TOKENS).tags("layer", "0", "expert", "2").counter().count())
                    .isEqualTo(3);
            assertThat(registry.get(PoolMetrics.EXECUTION).tags("layer", "0", "expert", "2").timer().count())
                    .isEqualTo(1);
            assertThat(registry.get(PoolMetrics.QUEUE_WAIT).tags("layer", "0", "expert", "2").timer().count())
                    .isEqualTo(1);
        }
        assertThat(registry.find(PoolMetrics.TOKENS).meters()).as("meters left after close").isEmpty();
    }

    @Test
    void cudaFallsBackToCpu() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA),
                "this ONNX Runtime build has the CUDA provider, so no fallback happens here");
        PoolOptions options = PoolOptions.builder().executionProvider(ExecutionProvider.CUDA).build();
        ExpertId id = new ExpertId(1, 0);

        try (LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.of(Set.of(id)), options);
             ExpertSession direct = directSession(id)) {
            assertThat(pool.executionProvider()).isEqualTo(ExecutionProvider.CPU);
            assertThat(pool.device()).isEqualTo("cpu");
            assertThat(pool.fallbackReason()).hasValueSatisfying(reason -> assertThat(reason).isNotBlank());
            float[] tokens = ExpertFixtures.tokens(4, 2);
            assertThat(pool.run(id, tokens, 2, WIDTH).get(30, TimeUnit.SECONDS))
                    .containsExactly(direct.run(tokens, 2, WIDTH));
        }
    }

    private static ExpertSession directSession(ExpertId id) throws Exception {
        try (var options = OrtRuntime.cpuSessionOptions()) {
            return new ExpertSession(id, Files.readAllBytes(bundle.expertFile(id.layer(), id.expert())), options);
        }
    }
}
