package dev.moeserve.loadtest.engine;

import java.time.Duration;

/**
 * Settings of the measurement of one load level, validated when constructed. Create with {@link #builder()}.
 *
 * <p>A level runs a warm-up whose results are discarded, then measurement windows until the last
 * {@code stableWindows} windows agree within {@code tolerance} on throughput and median latency, or
 * until {@code maxWindows} windows have run. The reported figures merge those last windows.
 *
 * @param warmup         time before the first window; its requests are not counted
 * @param window         length of one measurement window
 * @param stableWindows  windows that must agree for the measurement to count as stable, at least 2
 * @param maxWindows     windows after which a level stops even when unstable, at least
 *                       {@code stableWindows}
 * @param tolerance      largest relative spread, (max - min) / min, of throughput and of p50 among the
 *                       last windows; 0.10 means 10%
 * @param requestTimeout time after which a request counts as an error of kind {@code timeout}
 * @param maxOutstanding open-loop limit on requests in flight; a start beyond it is skipped and counted
 *                       as an error of kind {@code client_backlog}
 */
public record LoadSettings(Duration warmup, Duration window, int stableWindows, int maxWindows, double tolerance,
                           Duration requestTimeout, int maxOutstanding) {

    /** Default warm-up: 2 s. */
    public static final Duration DEFAULT_WARMUP = Duration.ofSeconds(2);

    /** Default measurement window: 5 s. */
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(5);

    /** Default number of windows that must agree: 3. */
    public static final int DEFAULT_STABLE_WINDOWS = 3;

    /** Default maximum windows per level: 6. */
    public static final int DEFAULT_MAX_WINDOWS = 6;

    /** Default agreement tolerance: 0.10 (10%). */
    public static final double DEFAULT_TOLERANCE = 0.10;

    /** Default request timeout: 30 s. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** Default open-loop limit on requests in flight: 1024. */
    public static final int DEFAULT_MAX_OUTSTANDING = 1024;

    public LoadSettings {
        nonNegative("warmup", warmup);
        positive("window", window);
        positive("requestTimeout", requestTimeout);
        if (stableWindows < 2) {
            throw new IllegalArgumentException("stableWindows must be >= 2, got " + stableWindows);
        }
        if (maxWindows < stableWindows) {
            throw new IllegalArgumentException("maxWindows must be >= stableWindows (" + stableWindows + "), got "
                    + maxWindows);
        }
        if (!(tolerance > 0) || Double.isInfinite(tolerance)) {
            throw new IllegalArgumentException("tolerance must be a finite number > 0, got " + tolerance);
        }
        if (maxOutstanding < 1) {
            throw new IllegalArgumentException("maxOutstanding must be >= 1, got " + maxOutstanding);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Returns the longest a level can take: warm-up, every window, and the wait for the last replies. */
    public Duration maxLevelTime() {
        return warmup.plus(window.multipliedBy(maxWindows)).plus(requestTimeout);
    }

    private static void positive(String name, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + value);
        }
    }

    private static void nonNegative(String name, Duration value) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be zero or a positive duration, got " + value);
        }
    }

    /** Builder with every setting at its default. */
    public static final class Builder {

        private Duration warmup = DEFAULT_WARMUP;
        private Duration window = DEFAULT_WINDOW;
        private int stableWindows = DEFAULT_STABLE_WINDOWS;
        private int maxWindows = DEFAULT_MAX_WINDOWS;
        private double tolerance = DEFAULT_TOLERANCE;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int maxOutstanding = DEFAULT_MAX_OUTSTANDING;

        private Builder() {
        }

        public Builder warmup(Duration value) {
            warmup = value;
            return this;
        }

        public Builder window(Duration value) {
            window = value;
            return this;
        }

        public Builder stableWindows(int value) {
            stableWindows = value;
            return this;
        }

        public Builder maxWindows(int value) {
            maxWindows = value;
            return this;
        }

        public Builder tolerance(double value) {
            tolerance = value;
            return this;
        }

        public Builder requestTimeout(Duration value) {
            requestTimeout = value;
            return this;
        }

        public Builder maxOutstanding(int value) {
            maxOutstanding = value;
            return this;
        }

        public LoadSettings build() {
            return new LoadSettings(warmup, window, stableWindows, maxWindows, tolerance, requestTimeout,
                    maxOutstanding);
        }
    }
}
