package dev.moeserve.loadtest.engine;

import java.util.Random;

/** Spacing of request starts in open-loop mode. */
public enum Arrival {

    /** Equal intervals of 1/rate seconds. */
    CONSTANT,

    /** Exponentially distributed intervals with mean 1/rate seconds: a Poisson process. */
    POISSON;

    /** Returns the nanoseconds until the next start at {@code ratePerSecond}. */
    public long nextIntervalNanos(double ratePerSecond, Random random) {
        double meanNanos = 1e9 / ratePerSecond;
        if (this == CONSTANT) {
            return Math.max(1, Math.round(meanNanos));
        }
        // Inverse CDF of the exponential distribution; 1 - u is in (0, 1], so the logarithm is finite.
        double u = random.nextDouble();
        return Math.max(1, Math.round(-Math.log(1.0 - u) * meanNanos));
    }
}
