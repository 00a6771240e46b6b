package dev.moeserve.loadtest.engine;

import dev.moeserve.loadtest.client.Reply;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Records replies from any thread and hands out what completed since the previous snapshot. Latency goes
 * into HdrHistogram recorders (3 significant digits, microseconds), whose interval swap is exact. The
 * counters are summed and reset separately, so a reply that completes during a snapshot may be counted in
 * the next window instead.
 */
final class WindowRecorder {

    /** Policy label of replies that named none, for example connection failures. */
    static final String UNKNOWN_POLICY = "unknown";

    private static final int DIGITS = 3;

    private final Recorder latency = new Recorder(DIGITS);
    private final Counters counters = new Counters();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Map<String, PolicyRecorder> policies = new ConcurrentHashMap<>();

    /** Records one reply; {@code trueLabels} are the batch's labels, -1 where unknown. */
    void record(Reply reply, long latencyNanos, int[] trueLabels) {
        String policy = reply.policy() == null ? UNKNOWN_POLICY : reply.policy();
        PolicyRecorder perPolicy = policies.computeIfAbsent(policy, name -> new PolicyRecorder());
        if (!reply.succeeded()) {
            recordError(reply.error());
            perPolicy.errors.increment();
            return;
        }
        long micros = Math.max(1, TimeUnit.NANOSECONDS.toMicros(latencyNanos));
        latency.recordValue(micros);
        perPolicy.latency.recordValue(micros);
        counters.add(reply.labels(), trueLabels);
        perPolicy.counters.add(reply.labels(), trueLabels);
    }

    /** Counts a failure that has no reply, such as a skipped open-loop start. */
    void recordError(String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Returns what completed since the previous call and starts a new window. */
    WindowSnapshot snapshot(long windowNanos) {
        Histogram all = latency.getIntervalHistogram();
        Map<String, Long> errorCounts = new TreeMap<>();
        errors.forEach((kind, count) -> {
            long value = count.sumThenReset();
            if (value > 0) {
                errorCounts.put(kind, value);
            }
        });
        Map<String, WindowSnapshot.PolicyWindow> perPolicy = new TreeMap<>();
        policies.forEach((name, recorder) -> {
            WindowSnapshot.PolicyWindow window = recorder.snapshot();
            if (window.latency().getTotalCount() > 0 || window.errors() > 0) {
                perPolicy.put(name, window);
            }
        });
        return new WindowSnapshot(windowNanos, all, counters.images.sumThenReset(), counters.correct.sumThenReset(),
                counters.labelled.sumThenReset(), errorCounts, perPolicy);
    }

    /** Images, and images with a checked label, of successful replies. */
    private static final class Counters {

        final LongAdder images = new LongAdder();
        final LongAdder correct = new LongAdder();
        final LongAdder labelled = new LongAdder();

        void add(long[] predicted, int[] truth) {
            images.add(truth.length);
            if (predicted == null) {
                return;
            }
            int n = Math.min(predicted.length, truth.length);
            for (int i = 0; i < n; i++) {
                if (truth[i] < 0) {
                    continue;
                }
                labelled.increment();
                if (predicted[i] == truth[i]) {
                    correct.increment();
                }
            }
        }
    }

    private static final class PolicyRecorder {

        final Recorder latency = new Recorder(DIGITS);
        final Counters counters = new Counters();
        final LongAdder errors = new LongAdder();

        WindowSnapshot.PolicyWindow snapshot() {
            return new WindowSnapshot.PolicyWindow(latency.getIntervalHistogram(), counters.images.sumThenReset(),
                    counters.correct.sumThenReset(), counters.labelled.sumThenReset(), errors.sumThenReset());
        }
    }
}
