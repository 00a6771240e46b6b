package dev.moeserve.loadtest.engine;

import org.HdrHistogram.Histogram;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Figures of one load level, from the merged windows it reports.
 *
 * @param level    the load point
 * @param windows  measurement windows run, warm-up excluded
 * @param stable   whether the reported windows met the stability rule; null for a replay, which has no
 *                 windows and sends a fixed set of requests
 * @param measured the merged windows: the last {@code stableWindows} of a measurement, everything of a replay
 */
public record LevelResult(LoadLevel level, int windows, Boolean stable, WindowSnapshot measured) {

    /** Successful requests per second. */
    public double throughput() {
        return measured.throughput();
    }

    /** Images of successful requests per second. */
    public double imagesPerSecond() {
        return measured.nanos() == 0 ? 0 : measured.images() * 1e9 / measured.nanos();
    }

    /** Latency percentile of successful requests in milliseconds, NaN without any. */
    public double latencyMillis(double percentile) {
        return percentileMillis(measured.latency(), percentile);
    }

    /** Highest latency of a successful request in milliseconds, NaN without any. */
    public double maxMillis() {
        Histogram latency = measured.latency();
        return latency.getTotalCount() == 0 ? Double.NaN : latency.getMaxValue() / 1000.0;
    }

    /** Share of labelled images predicted correctly, NaN when no reply carried labels to check. */
    public double accuracy() {
        return measured.labelled() == 0 ? Double.NaN : (double) measured.correct() / measured.labelled();
    }

    /** Failed requests divided by all completed requests, 0 when none completed. */
    public double errorRate() {
        long total = measured.requests() + measured.errorCount();
        return total == 0 ? 0 : (double) measured.errorCount() / total;
    }

    /** Per-policy figures, in policy name order. */
    public Map<String, WindowSnapshot.PolicyWindow> policies() {
        return new LinkedHashMap<>(measured.policies());
    }

    /** Latency percentile of {@code latency} (microseconds) in milliseconds, NaN when empty. */
    public static double percentileMillis(Histogram latency, double percentile) {
        return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1000.0;
    }
}
