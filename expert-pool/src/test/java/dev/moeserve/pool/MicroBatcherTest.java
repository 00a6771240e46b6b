package dev.moeserve.pool;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The batcher alone, over a kernel that computes {@code 2x + 1} per element and can hold its first run,
 * so that calls pile up deterministically while a batch runs.
 */
class MicroBatcherTest {

    private static final int WIDTH = 4;
    private static final ExpertId ID = new ExpertId(0, 0);

    private final ExecutorService runners = Executors.newFixedThreadPool(2);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final GatedKernel kernel = new GatedKernel();

    @AfterEach
    void stopThreads() {
        kernel.release();
        runners.shutdownNow();
        scheduler.shutdownNow();
    }

    @Test
    void waitingCallsRunTogetherInOrder() throws Exception {
        MicroBatcher batcher = batcher(options(Duration.ofMillis(1), 512, 100));
        CompletableFuture<float[]> first = batcher.submit(rows(0, 1), 1);
        kernel.awaitFirstRun();

        List<float[]> inputs = new ArrayList<>();
        List<CompletableFuture<float[]>> futures = new ArrayList<>();
        for (int call = 1; call <= 10; call++) {
            float[] tokens = rows(call * 100, call % 3 + 1);
            inputs.add(tokens);
            futures.add(batcher.submit(tokens, call % 3 + 1));
        }
        kernel.release();

        assertThat(first.get(10, TimeUnit.SECONDS)).containsExactly(expected(rows(0, 1)));
        for (int i = 0; i < futures.size(); i++) {
            assertThat(futures.get(i).get(10, TimeUnit.SECONDS)).as("outputs of call %d", i + 1)
                    .containsExactly(expected(inputs.get(i)));
        }
        assertThat(kernel.runTokens).containsExactly(1, 20);
    }

    @Test
    void batchStopsAtMaxTokens() throws Exception {
        MicroBatcher batcher = batcher(options(Duration.ofMillis(1), 5, 100));
        CompletableFuture<float[]> first = batcher.submit(rows(0, 1), 1);
        kernel.awaitFirstRun();

        List<CompletableFuture<float[]>> futures = new ArrayList<>();
        for (int tokens : new int[] {2, 2, 2, 9, 1}) {
            futures.add(batcher.submit(rows(tokens, tokens), tokens));
        }
        kernel.release();

        first.get(10, TimeUnit.SECONDS);
        for (CompletableFuture<float[]> future : futures) {
            future.get(10, TimeUnit.SECONDS);
        }
        assertThat(kernel.runTokens).containsExactly(1, 4, 2, 9, 1);
    }

    @Test
    void fullQueueFailsWithOverloaded() throws Exception {
        MicroBatcher batcher = batcher(options(Duration.ofMillis(1), 512, 2));
        CompletableFuture<float[]> running = batcher.submit(rows(0, 1), 1);
        kernel.awaitFirstRun();
        CompletableFuture<float[]> waiting1 = batcher.submit(rows(1, 1), 1);
        CompletableFuture<float[]> waiting2 = batcher.submit(rows(2, 1), 1);

        CompletableFuture<float[]> rejected = batcher.submit(rows(3, 1), 1);

        assertThatThrownBy(() -> rejected.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(PoolOverloadedException.class)
                .hasMessageContaining("2 calls waiting");
        kernel.release();
        assertThat(running.get(10, TimeUnit.SECONDS)).hasSize(WIDTH);
        assertThat(waiting1.get(10, TimeUnit.SECONDS)).hasSize(WIDTH);
        assertThat(waiting2.get(10, TimeUnit.SECONDS)).hasSize(WIDTH);
        assertThat(registry.get(PoolMetrics.FAILURES).tag("reason", "overloaded").counter().count()).isEqualTo(1);
    }

    @Test
    void closeRunsWaitingCallsAtOnce() throws Exception {
        MicroBatcher batcher = batcher(options(PoolOptions.MAX_BATCH_WINDOW, 512, 100));
        kernel.release();
        CompletableFuture<float[]> waiting = batcher.submit(rows(7, 2), 2);
        assertThat(batcher.queuedCalls()).isEqualTo(1);

        CompletableFuture<Void> drained = batcher.close();

        assertThat(waiting.get(10, TimeUnit.SECONDS)).containsExactly(expected(rows(7, 2)));
        drained.get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> batcher.submit(rows(8, 1), 1).get(10, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(BackendClosedException.class);
    }

    @Test
    void zeroWindowRunsEveryCallAlone() throws Exception {
        MicroBatcher batcher = batcher(options(Duration.ZERO, 512, 100));
        kernel.release();

        List<CompletableFuture<float[]>> futures = new ArrayList<>();
        for (int call = 0; call < 20; call++) {
            futures.add(batcher.submit(rows(call, 2), 2));
        }

        for (int call = 0; call < 20; call++) {
            assertThat(futures.get(call).get(10, TimeUnit.SECONDS)).containsExactly(expected(rows(call, 2)));
        }
        assertThat(kernel.runTokens).hasSize(20).containsOnly(2);
    }

    @Test
    void kernelFailureFailsEveryCallOfTheBatch() throws Exception {
        kernel.failing = true;
        kernel.release();
        MicroBatcher batcher = batcher(options(Duration.ofMillis(1), 512, 100));

        CompletableFuture<float[]> call = batcher.submit(rows(1, 1), 1);

        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(BackendFailureException.class)
                .hasMessageContaining("expert 0:0 failed in ONNX Runtime")
                .hasMessageContaining("kernel failure for the test");
    }

    private MicroBatcher batcher(PoolOptions options) {
        PoolMetrics metrics = new PoolMetrics(registry);
        MicroBatcher[] holder = new MicroBatcher[1];
        PoolMetrics.ExpertMeters meters = metrics.expert(ID, () -> holder[0] == null ? 0 : holder[0].queuedCalls());
        holder[0] = new MicroBatcher(ID, kernel, runners, scheduler, meters, options);
        return holder[0];
    }

    private static PoolOptions options(Duration window, int maxBatchTokens, int queueCapacity) {
        return PoolOptions.builder().batchWindow(window).maxBatchTokens(maxBatchTokens).queueCapacity(queueCapacity)
                .build();
    }

    /** Returns {@code tokens} rows whose values start at {@code start} and count up. */
    private static float[] rows(int start, int tokens) {
        float[] values = new float[tokens * WIDTH];
        for (int i = 0; i < values.length; i++) {
            values[i] = start + i;
        }
        return values;
    }

    private static float[] expected(float[] input) {
        float[] output = new float[input.length];
        for (int i = 0; i < input.length; i++) {
            output[i] = 2 * input[i] + 1;
        }
        return output;
    }

    /** Computes {@code 2x + 1}; its first run waits for {@link #release()}; records each run's token count. */
    private static final class GatedKernel implements ExpertKernel {

        final List<Integer> runTokens = new CopyOnWriteArrayList<>();
        private final CountDownLatch firstRunStarted = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        volatile boolean failing;

        @Override
        public int width() {
            return WIDTH;
        }

        @Override
        public void run(FloatBuffer input, FloatBuffer output, int tokenCount) throws Exception {
            firstRunStarted.countDown();
            if (!released.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the kernel");
            }
            if (failing) {
                throw new IllegalStateException("kernel failure for the test");
            }
            runTokens.add(tokenCount);
            for (int i = 0; i < tokenCount * WIDTH; i++) {
                output.put(i, 2 * input.get(i) + 1);
            }
        }

        void awaitFirstRun() throws InterruptedException {
            assertThat(firstRunStarted.await(30, TimeUnit.SECONDS)).as("first run started").isTrue();
        }

        void release() {
            released.countDown();
        }
    }
}
