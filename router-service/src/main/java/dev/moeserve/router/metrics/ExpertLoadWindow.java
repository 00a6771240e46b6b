package dev.moeserve.router.metrics;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Tokens per expert of one MoE layer under one policy over a recent window, and the layer's
 * balancedness over that window: mean tokens per expert of the pool divided by the maximum.
 *
 * <p>The window is a ring of {@code buckets} time slices of {@code sliceNanos} each; a slice older than
 * the window is cleared before it is reused, so the figure covers between {@code buckets - 1} and
 * {@code buckets} slices. Thread-safe: methods synchronize on this object, which pipeline threads
 * share only per (policy, layer).
 */
public final class ExpertLoadWindow {

    private static final long UNUSED = Long.MIN_VALUE;

    private final long[][] counts;
    private final long[] sliceOfBucket;
    private final long sliceNanos;
    private final LongSupplier nanoClock;

    /**
     * @param experts    gate columns of the layer
     * @param buckets    time slices kept, at least 1
     * @param sliceNanos length of one slice in nanoseconds, at least 1
     * @param nanoClock  monotonic clock, {@code System::nanoTime} outside tests
     */
    public ExpertLoadWindow(int experts, int buckets, long sliceNanos, LongSupplier nanoClock) {
        if (buckets < 1 || sliceNanos < 1) {
            throw new IllegalArgumentException("buckets and sliceNanos must be >= 1, got " + buckets + " and "
                    + sliceNanos);
        }
        this.counts = new long[buckets][experts];
        this.sliceOfBucket = new long[buckets];
        Arrays.fill(sliceOfBucket, UNUSED);
        this.sliceNanos = sliceNanos;
        this.nanoClock = nanoClock;
    }

    /** Adds {@code tokens[e]} tokens to expert e in the current slice. */
    public synchronized void add(long[] tokens) {
        long[] bucket = currentBucket();
        for (int e = 0; e < tokens.length; e++) {
            bucket[e] += tokens[e];
        }
    }

    /**
     * Returns mean over max of the tokens per expert in the window, the mean taken over {@code poolSize}
     * experts: 1 when the load is even, {@code 1 / poolSize} when one expert takes all. NaN when no token
     * was routed in the window.
     */
    public synchronized double balancedness(int poolSize) {
        long slice = slice();
        long total = 0;
        long max = 0;
        for (int e = 0; e < counts[0].length; e++) {
            long sum = 0;
            for (int b = 0; b < counts.length; b++) {
                if (sliceOfBucket[b] != UNUSED && slice - sliceOfBucket[b] < counts.length) {
                    sum += counts[b][e];
                }
            }
            total += sum;
            max = Math.max(max, sum);
        }
        if (max == 0 || poolSize < 1) {
            return Double.NaN;
        }
        return ((double) total / poolSize) / max;
    }

    private long[] currentBucket() {
        long slice = slice();
        int index = (int) Math.floorMod(slice, (long) counts.length);
        if (sliceOfBucket[index] != slice) {
            Arrays.fill(counts[index], 0);
            sliceOfBucket[index] = slice;
        }
        return counts[index];
    }

    private long slice() {
        return Math.floorDiv(nanoClock.getAsLong(), sliceNanos);
    }
}
