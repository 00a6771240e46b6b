package dev.moeserve.loadtest.engine;

import dev.moeserve.loadtest.client.ErrorKinds;
import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.Reply;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.model.progress.ProgressLine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the load loops against an in-memory client whose replies complete on a scheduler thread. */
class LoadRunnerTest {

    private static final LoadSettings SHORT = LoadSettings.builder()
            .warmup(Duration.ofMillis(20))
            .window(Duration.ofMillis(50))
            .stableWindows(2)
            .maxWindows(4)
            .requestTimeout(Duration.ofSeconds(5))
            .maxOutstanding(5)
            .build();

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopScheduler() {
        scheduler.shutdownNow();
    }

    @Test
    void closedLoopKeepsConcurrencyInFlight() {
        FakeClient client = new FakeClient(index -> Reply.ok("topk", new long[] {0, 0}), 1);
        List<RequestBatch> batches = batches(4);

        LevelResult result = new LoadRunner(SHORT, ProgressLine.silent())
                .measure(client, RequestPlan.cycling(batches.size()), LoadLevel.closed(4), batches);

        assertThat(client.maxInFlight.get()).isEqualTo(4);
        assertThat(result.measured().requests()).isPositive();
        assertThat(result.windows()).isBetween(SHORT.stableWindows(), SHORT.maxWindows());
        assertThat(result.measured().errorCount()).isZero();
        assertThat(result.policies()).containsOnlyKeys("topk");
    }

    @Test
    void closedLoopCountsErrorsByKind() {
        AtomicInteger calls = new AtomicInteger();
        FakeClient client = new FakeClient(index -> calls.incrementAndGet() % 3 == 0
                ? Reply.failed("http_503", "masked") : Reply.ok("masked", new long[] {0, 0}), 1);
        List<RequestBatch> batches = batches(3);

        LevelResult result = new LoadRunner(SHORT, ProgressLine.silent())
                .measure(client, RequestPlan.cycling(batches.size()), LoadLevel.closed(2), batches);

        assertThat(result.measured().errors()).containsOnlyKeys("http_503");
        assertThat(result.measured().requests()).isPositive();
        assertThat(result.errorRate()).isStrictlyBetween(0.0, 1.0);
        assertThat(result.policies().get("masked").errors()).isPositive();
    }

    @Test
    void replaySendsEachBatchOnceAndScoresLabels() {
        List<RequestBatch> batches = batches(10);
        // Even batches get their true labels as predictions, odd ones label -1, which no image has.
        FakeClient client = new FakeClient(index -> Reply.ok("agf-prior", index % 2 == 0
                ? toLongs(batches.get(index).labels()) : new long[] {-1, -1}), 1);

        LevelResult result = new LoadRunner(SHORT, ProgressLine.silent())
                .replay(client, RequestPlan.once(batches.size()), 3, batches, Duration.ofSeconds(30));

        assertThat(client.callsPerBatch).hasSize(10).allSatisfy((index, count) -> assertThat(count.get()).isOne());
        assertThat(result.measured().requests()).isEqualTo(10);
        assertThat(result.measured().images()).isEqualTo(20);
        assertThat(result.accuracy()).isEqualTo(0.5);
        assertThat(result.stable()).isNull();
    }

    @Test
    void openLoopSkipsStartsBeyondOutstandingLimit() {
        FakeClient client = new FakeClient(index -> Reply.failed(ErrorKinds.TIMEOUT, null), 150);
        List<RequestBatch> batches = batches(2);

        LevelResult result = new LoadRunner(SHORT, ProgressLine.silent())
                .measure(client, RequestPlan.cycling(batches.size()), LoadLevel.open(1000, Arrival.CONSTANT), batches);

        assertThat(client.maxInFlight.get()).isLessThanOrEqualTo(SHORT.maxOutstanding());
        assertThat(result.measured().errors()).containsKey(ErrorKinds.CLIENT_BACKLOG);
        assertThat(result.measured().requests()).isZero();
        assertThat(result.stable()).isFalse();
        assertThat(result.windows()).isEqualTo(SHORT.maxWindows());
    }

    @Test
    void recorderKeepsPoliciesApartAndNamesUnknown() {
        WindowRecorder recorder = new WindowRecorder();
        recorder.record(Reply.ok("topk", new long[] {1, 2}), 2_000_000, new int[] {1, 0});
        recorder.record(Reply.failed(ErrorKinds.CONNECTION, null), 1_000_000, new int[] {1, 0});
        recorder.recordError(ErrorKinds.CLIENT_BACKLOG);

        WindowSnapshot window = recorder.snapshot(1_000_000_000L);
        WindowSnapshot next = recorder.snapshot(1_000_000_000L);

        assertThat(window.requests()).isOne();
        assertThat(window.images()).isEqualTo(2);
        assertThat(window.correct()).isOne();
        assertThat(window.labelled()).isEqualTo(2);
        assertThat(window.errors()).containsOnlyKeys(ErrorKinds.CONNECTION, ErrorKinds.CLIENT_BACKLOG);
        assertThat(window.policies()).containsOnlyKeys("topk", WindowRecorder.UNKNOWN_POLICY);
        assertThat(next.requests()).isZero();
        assertThat(next.errors()).isEmpty();
    }

    private static List<RequestBatch> batches(int count) {
        List<RequestBatch> batches = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batches.add(new RequestBatch(new byte[2 * RequestBatch.PIXELS], new int[] {i % 10, (i + 1) % 10}, 2));
        }
        return batches;
    }

    private static long[] toLongs(int[] values) {
        long[] longs = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            longs[i] = values[i];
        }
        return longs;
    }

    /** Completes each request with {@code replyFor(batch)} after {@code delayMillis}, counting calls and requests in flight. */
    private final class FakeClient implements InferenceClient {

        final IntFunction<Reply> replyFor;
        final long delayMillis;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final ConcurrentHashMap<Integer, AtomicInteger> callsPerBatch = new ConcurrentHashMap<>();

        FakeClient(IntFunction<Reply> replyFor, long delayMillis) {
            this.replyFor = replyFor;
            this.delayMillis = delayMillis;
        }

        @Override
        public CompletableFuture<Reply> infer(int batchIndex, String stickyKey) {
            callsPerBatch.computeIfAbsent(batchIndex, index -> new AtomicInteger()).incrementAndGet();
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            CompletableFuture<Reply> reply = new CompletableFuture<>();
            scheduler.schedule(() -> {
                inFlight.decrementAndGet();
                reply.complete(replyFor.apply(batchIndex));
            }, delayMillis, TimeUnit.MILLISECONDS);
            return reply;
        }

        @Override
        public int batches() {
            return Integer.MAX_VALUE;
        }

        @Override
        public String describe() {
            return "fake";
        }

        @Override
        public void close() {
        }
    }
}
