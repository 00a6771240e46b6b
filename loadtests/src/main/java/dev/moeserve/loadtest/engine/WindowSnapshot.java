package dev.moeserve.loadtest.engine;

import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Requests completed during one measurement window, or during several windows merged.
 *
 * @param nanos     length of the window
 * @param latency   latency of successful requests in microseconds
 * @param images    images in successful requests
 * @param correct   images whose predicted label matched the true one
 * @param labelled  images with a predicted and a true label
 * @param errors    failed requests by kind
 * @param policies  the same figures per serving policy, by the policy named in the reply
 */
public record WindowSnapshot(long nanos, Histogram latency, long images, long correct, long labelled,
                             Map<String, Long> errors, Map<String, PolicyWindow> policies) {

    /**
     * Figures of one policy within a window.
     *
     * @param latency latency of successful requests in microseconds
     * @param errors  failed requests whose reply named this policy
     */
    public record PolicyWindow(Histogram latency, long images, long correct, long labelled, long errors) {

        PolicyWindow plus(PolicyWindow other) {
            Histogram sum = emptyLike(latency);
            sum.add(latency);
            sum.add(other.latency);
            return new PolicyWindow(sum, images + other.images, correct + other.correct,
                    labelled + other.labelled, errors + other.errors);
        }
    }

    /** Successful requests. */
    public long requests() {
        return latency.getTotalCount();
    }

    /** Successful requests per second. */
    public double throughput() {
        return nanos == 0 ? 0 : requests() * 1e9 / nanos;
    }

    /** Failed requests of every kind. */
    public long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Merges consecutive windows: durations, counts and histograms add up. */
    public static WindowSnapshot merge(List<WindowSnapshot> windows) {
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("at least one window is needed to merge");
        }
        long nanos = 0;
        long images = 0;
        long correct = 0;
        long labelled = 0;
        Histogram latency = emptyLike(windows.get(0).latency);
        Map<String, Long> errors = new TreeMap<>();
        Map<String, PolicyWindow> policies = new TreeMap<>();
        for (WindowSnapshot window : windows) {
            nanos += window.nanos;
            images += window.images;
            correct += window.correct;
            labelled += window.labelled;
            latency.add(window.latency);
            window.errors.forEach((kind, count) -> errors.merge(kind, count, Long::sum));
            window.policies.forEach((policy, figures) -> policies.merge(policy, figures, PolicyWindow::plus));
        }
        return new WindowSnapshot(nanos, latency, images, correct, labelled, errors, policies);
    }

    private static Histogram emptyLike(Histogram model) {
        Histogram empty = new Histogram(model.getNumberOfSignificantValueDigits());
        empty.setAutoResize(true);
        return empty;
    }
}
