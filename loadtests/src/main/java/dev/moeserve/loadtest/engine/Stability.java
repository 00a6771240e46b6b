package dev.moeserve.loadtest.engine;

import java.util.List;

/**
 * The stopping rule of a measurement, modelled on the stability check of Triton's perf_analyzer: the last
 * {@code count} windows are stable when their throughputs agree, and their median latencies agree, within a
 * relative tolerance. Agreement means (max - min) / min at most the tolerance. Windows without a successful
 * request never agree.
 */
public final class Stability {

    private Stability() {
    }

    /** Returns whether the last {@code count} of {@code windows} agree within {@code tolerance}. */
    public static boolean isStable(List<WindowSnapshot> windows, int count, double tolerance) {
        if (windows.size() < count) {
            return false;
        }
        List<WindowSnapshot> last = windows.subList(windows.size() - count, windows.size());
        double[] throughput = new double[count];
        double[] medians = new double[count];
        for (int i = 0; i < count; i++) {
            WindowSnapshot window = last.get(i);
            if (window.requests() == 0) {
                return false;
            }
            throughput[i] = window.throughput();
            medians[i] = window.latency().getValueAtPercentile(50);
        }
        return spread(throughput) <= tolerance && spread(medians) <= tolerance;
    }

    /** Returns (max - min) / min, or infinity when min is 0. */
    static double spread(double[] values) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double value : values) {
            min = Math.min(min, value);
            max = Math.max(max, value);
        }
        return min > 0 ? (max - min) / min : Double.POSITIVE_INFINITY;
    }
}
