package dev.moeserve.pool.grpc;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link RemoteExpertBackend}. Immutable and checked when constructed.
 *
 * @param callDeadline    deadline of each call to one worker; a retry on another worker gets a new one
 * @param connectTimeout  how long opening a connection to a worker may take
 * @param maxMessageBytes largest gRPC message sent or accepted
 * @param failureBackoff  how long a worker that failed a call is tried after the other workers that hold
 *                        the same expert
 * @param closeTimeout    how long {@link RemoteExpertBackend#close()} waits for calls in flight
 * @param probeInterval   how often every worker is asked ListExperts, to notice workers that stop, come
 *                        back or start late; zero turns the probes off
 */
public record RemoteOptions(Duration callDeadline, Duration connectTimeout, long maxMessageBytes,
                            Duration failureBackoff, Duration closeTimeout, Duration probeInterval) {

    /** Default deadline of a call to one worker: 5 s. */
    public static final Duration DEFAULT_CALL_DEADLINE = Duration.ofSeconds(5);

    /** Default connect timeout: 2 s. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

    /** Default largest message: 64 MiB, the worker's default too. */
    public static final long DEFAULT_MAX_MESSAGE_BYTES = WorkerOptions.DEFAULT_MAX_MESSAGE_BYTES;

    /** Default time a failed worker is tried last: 5 s. */
    public static final Duration DEFAULT_FAILURE_BACKOFF = Duration.ofSeconds(5);

    /** Default time {@code close()} waits for calls in flight: 30 s. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /** Default interval of the ListExperts probes: 5 s. */
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(5);

    public RemoteOptions {
        Objects.requireNonNull(callDeadline, "callDeadline");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(failureBackoff, "failureBackoff");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        Objects.requireNonNull(probeInterval, "probeInterval");
        if (callDeadline.toMillis() < 1) {
            throw new IllegalArgumentException("callDeadline must be at least 1 ms, got " + callDeadline);
        }
        if (connectTimeout.toMillis() < 1 || connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connectTimeout must be between 1 ms and " + Integer.MAX_VALUE
                    + " ms, got " + connectTimeout);
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1024, got " + maxMessageBytes);
        }
        if (failureBackoff.isNegative()) {
            throw new IllegalArgumentException("failureBackoff must not be negative, got " + failureBackoff);
        }
        if (closeTimeout.isNegative()) {
            throw new IllegalArgumentException("closeTimeout must not be negative, got " + closeTimeout);
        }
        if (probeInterval.isNegative() || (!probeInterval.isZero() && probeInterval.toMillis() < 1)) {
            throw new IllegalArgumentException("probeInterval must be zero (off) or at least 1 ms, got "
                    + probeInterval);
        }
    }

    /** Returns the defaults: see the {@code DEFAULT_*} constants. */
    public static RemoteOptions defaults() {
        return builder().build();
    }

    /** Returns a builder initialized with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder for {@link RemoteOptions}. */
    public static final class Builder {

        private Duration callDeadline = DEFAULT_CALL_DEADLINE;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private long maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private Duration failureBackoff = DEFAULT_FAILURE_BACKOFF;
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
        private Duration probeInterval = DEFAULT_PROBE_INTERVAL;

        private Builder() {
        }

        public Builder callDeadline(Duration deadline) {
            this.callDeadline = deadline;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder maxMessageBytes(long bytes) {
            this.maxMessageBytes = bytes;
            return this;
        }

        public Builder failureBackoff(Duration backoff) {
            this.failureBackoff = backoff;
            return this;
        }

        public Builder closeTimeout(Duration timeout) {
            this.closeTimeout = timeout;
            return this;
        }

        public Builder probeInterval(Duration interval) {
            this.probeInterval = interval;
            return this;
        }

        /**
         * Builds the options.
         *
         * @throws IllegalArgumentException naming the first field out of range and its value
         */
        public RemoteOptions build() {
            return new RemoteOptions(callDeadline, connectTimeout, maxMessageBytes, failureBackoff, closeTimeout,
                    probeInterval);
        }
    }
}
