package dev.moeserve.loadtest.engine;

import java.util.Locale;

/**
 * One load point of a sweep: a concurrency in closed-loop mode, or a request rate in open-loop mode.
 *
 * @param mode        closed or open loop
 * @param concurrency callers in closed-loop mode; 0 in open-loop mode
 * @param rate        requests per second in open-loop mode; 0 in closed-loop mode
 * @param arrival     spacing of starts in open-loop mode; null in closed-loop mode
 */
public record LoadLevel(LoadMode mode, int concurrency, double rate, Arrival arrival) {

    public LoadLevel {
        if (mode == LoadMode.CLOSED && concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be >= 1, got " + concurrency);
        }
        if (mode == LoadMode.OPEN && (!(rate > 0) || Double.isInfinite(rate) || arrival == null)) {
            throw new IllegalArgumentException("rate must be a finite number > 0 with an arrival process, got "
                    + rate + " and " + arrival);
        }
    }

    /** Returns a closed-loop level with {@code concurrency} callers. */
    public static LoadLevel closed(int concurrency) {
        return new LoadLevel(LoadMode.CLOSED, concurrency, 0, null);
    }

    /** Returns an open-loop level at {@code rate} requests per second. */
    public static LoadLevel open(double rate, Arrival arrival) {
        return new LoadLevel(LoadMode.OPEN, 0, rate, arrival);
    }

    /** Returns a short label for reports: {@code c=4}, {@code 50/s constant} or {@code 50/s poisson}. */
    public String label() {
        if (mode == LoadMode.CLOSED) {
            return "c=" + concurrency;
        }
        return String.format(Locale.ROOT, "%s/s %s", trim(rate), arrival.name().toLowerCase(Locale.ROOT));
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
