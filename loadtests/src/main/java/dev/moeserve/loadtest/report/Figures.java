package dev.moeserve.loadtest.report;

import dev.moeserve.loadtest.engine.LevelResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Number formatting and the standard columns of a measured load level. */
public final class Figures {

    /** Columns written by {@link #measurement}, after the caller's own leading columns. */
    public static final List<String> MEASUREMENT_COLUMNS = List.of("load", "req/s", "images/s", "p50 ms", "p90 ms",
            "p99 ms", "max ms", "requests", "errors", "error kinds", "windows", "stable");

    private Figures() {
    }

    /** Returns the cells of {@link #MEASUREMENT_COLUMNS} for {@code result}. */
    public static List<String> measurement(LevelResult result) {
        List<String> cells = new ArrayList<>();
        cells.add(result.level().label());
        cells.add(decimal(result.throughput(), 1));
        cells.add(decimal(result.imagesPerSecond(), 1));
        cells.add(decimal(result.latencyMillis(50), 2));
        cells.add(decimal(result.latencyMillis(90), 2));
        cells.add(decimal(result.latencyMillis(99), 2));
        cells.add(decimal(result.maxMillis(), 2));
        cells.add(Long.toString(result.measured().requests()));
        cells.add(Long.toString(result.measured().errorCount()));
        cells.add(errorKinds(result.measured().errors()));
        cells.add(Integer.toString(result.windows()));
        cells.add(result.stable() == null ? "n/a" : result.stable() ? "yes" : "no");
        return cells;
    }

    /** Returns {@code value} with {@code digits} decimals, or {@code -} for NaN. */
    public static String decimal(double value, int digits) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%." + digits + "f", value);
    }

    /** Returns {@code share} as a percentage with two decimals, or {@code -} for NaN. */
    public static String percent(double share) {
        return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.2f%%", share * 100);
    }

    /** Returns {@code kind=count} pairs separated by spaces, or {@code -} when there are none. */
    public static String errorKinds(Map<String, Long> errors) {
        if (errors.isEmpty()) {
            return "-";
        }
        return errors.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    }

    /** Returns a byte count in MiB with two decimals. */
    public static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
    }
}
