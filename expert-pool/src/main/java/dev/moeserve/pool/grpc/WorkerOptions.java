package dev.moeserve.pool.grpc;

import java.time.Duration;
import java.util.Objects;

/**
 * Network settings of an {@link ExpertWorkerServer}. Immutable and checked when constructed.
 *
 * @param host            address the gRPC and metrics ports bind to
 * @param port            gRPC port; 0 picks a free port, readable from {@link ExpertWorkerServer#port()}
 * @param metricsPort     Prometheus port serving {@code /metrics}; 0 picks a free port. Used only when the
 *                        server is started with a Prometheus registry
 * @param maxMessageBytes largest gRPC message accepted
 * @param shutdownGrace   how long {@link ExpertWorkerServer#close()} waits for calls in flight before the
 *                        connections are closed
 */
public record WorkerOptions(String host, int port, int metricsPort, long maxMessageBytes, Duration shutdownGrace) {

    /** Default bind address: 127.0.0.1, so a worker is reachable only from its own machine unless configured otherwise. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /** Default gRPC port: 9090. */
    public static final int DEFAULT_PORT = 9090;

    /** Default metrics port: 9091. */
    public static final int DEFAULT_METRICS_PORT = 9091;

    /**
     * Default largest message: 64 MiB, so that 256 Ki tokens of width 64 fit in one call. gRPC's usual
     * default of 4 MiB holds only 16 Ki such tokens.
     */
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L << 20;

    /** Default shutdown grace period: 30 s. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

    public WorkerOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new IllegalArgumentException("metricsPort must be between 0 and 65535, got " + metricsPort);
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1024, got " + maxMessageBytes);
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace must not be negative, got " + shutdownGrace);
        }
    }

    /** Returns the defaults: see the {@code DEFAULT_*} constants. */
    public static WorkerOptions defaults() {
        return builder().build();
    }

    /** Returns a builder initialized with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder for {@link WorkerOptions}. */
    public static final class Builder {

        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int metricsPort = DEFAULT_METRICS_PORT;
        private long maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;

        private Builder() {
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder metricsPort(int port) {
            this.metricsPort = port;
            return this;
        }

        public Builder maxMessageBytes(long bytes) {
            this.maxMessageBytes = bytes;
            return this;
        }

        public Builder shutdownGrace(Duration grace) {
            this.shutdownGrace = grace;
            return this;
        }

        /**
         * Builds the options.
         *
         * @throws IllegalArgumentException naming the first field out of range and its value
         */
        public WorkerOptions build() {
            return new WorkerOptions(host, port, metricsPort, maxMessageBytes, shutdownGrace);
        }
    }
}
