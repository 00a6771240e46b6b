package dev.moeserve.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link LocalExpertPool} runs its experts. Immutable; every field is checked when the record is
 * constructed, and {@link #builder()} starts from the documented defaults.
 *
 * @param intraOpThreads    threads of the process-wide ONNX Runtime intra-op pool. ONNX Runtime has one
 *                          environment per process, so only the first pool created sets it; later pools
 *                          that request another count log a warning and share the existing pool
 * @param runnerThreads     threads that hand batches to ONNX Runtime and split the results
 * @param executionProvider provider requested for the sessions; CUDA falls back to CPU when unavailable
 * @param cudaDeviceId      CUDA device ordinal, used only with {@link ExecutionProvider#CUDA}
 * @param batchWindow       how long the first call of a batch waits for more calls of the same expert;
 *                          zero turns batching off, so every call runs alone
 * @param maxBatchTokens    tokens above which a batch is closed early; a single larger call runs alone
 * @param queueCapacity     calls that may wait per expert before new calls fail with
 *                          {@link PoolOverloadedException}
 * @param drainTimeout      how long {@link LocalExpertPool#close()} waits for queued and running calls
 */
public record PoolOptions(int intraOpThreads, int runnerThreads, ExecutionProvider executionProvider,
                          int cudaDeviceId, Duration batchWindow, int maxBatchTokens, int queueCapacity,
                          Duration drainTimeout) {

    /** Default batch window: 1 ms. */
    public static final Duration DEFAULT_BATCH_WINDOW = Duration.ofMillis(1);

    /** Largest batch window accepted: 1 s. */
    public static final Duration MAX_BATCH_WINDOW = Duration.ofSeconds(1);

    /** Default maximum tokens per batch: 512. */
    public static final int DEFAULT_MAX_BATCH_TOKENS = 512;

    /** Largest accepted maximum tokens per batch: 1,048,576. */
    public static final int MAX_MAX_BATCH_TOKENS = 1 << 20;

    /** Default calls that may wait per expert: 1024. */
    public static final int DEFAULT_QUEUE_CAPACITY = 1024;

    /** Default execution provider: CPU. */
    public static final ExecutionProvider DEFAULT_EXECUTION_PROVIDER = ExecutionProvider.CPU;

    /** Default CUDA device ordinal: 0. */
    public static final int DEFAULT_CUDA_DEVICE_ID = 0;

    /** Default time {@code close()} waits for calls in flight: 30 s. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    public PoolOptions {
        Objects.requireNonNull(executionProvider, "executionProvider");
        Objects.requireNonNull(batchWindow, "batchWindow");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be at least 1, got " + intraOpThreads);
        }
        if (runnerThreads < 1) {
            throw new IllegalArgumentException("runnerThreads must be at least 1, got " + runnerThreads);
        }
        if (cudaDeviceId < 0) {
            throw new IllegalArgumentException("cudaDeviceId must be at least 0, got " + cudaDeviceId);
        }
        if (batchWindow.isNegative() || batchWindow.compareTo(MAX_BATCH_WINDOW) > 0) {
            throw new IllegalArgumentException("batchWindow must be between 0 and " + MAX_BATCH_WINDOW.toMillis()
                    + " ms, got " + batchWindow.toNanos() / 1000 + " us");
        }
        if (maxBatchTokens < 1 || maxBatchTokens > MAX_MAX_BATCH_TOKENS) {
            throw new IllegalArgumentException("maxBatchTokens must be between 1 and " + MAX_MAX_BATCH_TOKENS
                    + ", got " + maxBatchTokens);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be at least 1, got " + queueCapacity);
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must not be negative, got " + drainTimeout);
        }
    }

    /** Returns the defaults: see the {@code DEFAULT_*} constants and {@link Builder}. */
    public static PoolOptions defaults() {
        return builder().build();
    }

    /** Returns a builder initialized with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder initialized with these options. */
    public Builder toBuilder() {
        return new Builder()
                .intraOpThreads(intraOpThreads)
                .runnerThreads(runnerThreads)
                .executionProvider(executionProvider)
                .cudaDeviceId(cudaDeviceId)
                .batchWindow(batchWindow)
                .maxBatchTokens(maxBatchTokens)
                .queueCapacity(queueCapacity)
                .drainTimeout(drainTimeout);
    }

    /** Returns whether calls of the same expert are gathered into batches (the window is not zero). */
    public boolean batchingEnabled() {
        return !batchWindow.isZero();
    }

    /**
     * Builder for {@link PoolOptions}. Both thread counts default to {@link OrtRuntime#threads()}: the system
     * property {@value OrtRuntime#THREADS_PROPERTY}, else the processor count.
     */
    public static final class Builder {

        private int intraOpThreads = OrtRuntime.threads();
        private int runnerThreads = OrtRuntime.threads();
        private ExecutionProvider executionProvider = DEFAULT_EXECUTION_PROVIDER;
        private int cudaDeviceId = DEFAULT_CUDA_DEVICE_ID;
        private Duration batchWindow = DEFAULT_BATCH_WINDOW;
        private int maxBatchTokens = DEFAULT_MAX_BATCH_TOKENS;
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;

        private Builder() {
        }

        public Builder intraOpThreads(int threads) {
            this.intraOpThreads = threads;
            return this;
        }

        public Builder runnerThreads(int threads) {
            this.runnerThreads = threads;
            return this;
        }

        public Builder executionProvider(ExecutionProvider provider) {
            this.executionProvider = provider;
            return this;
        }

        public Builder cudaDeviceId(int deviceId) {
            this.cudaDeviceId = deviceId;
            return this;
        }

        public Builder batchWindow(Duration window) {
            this.batchWindow = window;
            return this;
        }

        public Builder maxBatchTokens(int tokens) {
            this.maxBatchTokens = tokens;
            return this;
        }

        public Builder queueCapacity(int calls) {
            this.queueCapacity = calls;
            return this;
        }

        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = timeout;
            return this;
        }

        /**
         * Builds the options.
         *
         * @throws IllegalArgumentException naming the first field out of range and its value
         */
        public PoolOptions build() {
            return new PoolOptions(intraOpThreads, runnerThreads, executionProvider, cudaDeviceId, batchWindow,
                    maxBatchTokens, queueCapacity, drainTimeout);
        }
    }
}
