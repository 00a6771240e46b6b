package dev.moeserve.router.server;

import dev.moeserve.router.policy.TableSpec;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of a {@link RouterServer}, validated when built. Create with {@link #builder()}.
 *
 * @param host                    address both servers bind to
 * @param httpPort                port of REST, {@code /metrics} and {@code /admin}; 0 picks a free port
 * @param grpcPort                port of the gRPC service; 0 picks a free port
 * @param maxBatch                images accepted per request
 * @param maxRequestBytes         largest REST body and gRPC message accepted, in bytes
 * @param maxInFlight             requests admitted at once; more are rejected with 429 or RESOURCE_EXHAUSTED
 * @param maxShadowInFlight       shadow runs at once; a request finding the limit reached skips its shadow
 * @param inferenceThreads        threads that decode requests and run the trunk, gates and routing
 * @param serverInstances         event-loop instances of the HTTP and gRPC servers
 * @param policiesFile            JSON or YAML policy table, watched for changes, or null
 * @param policiesPollInterval    how often the policies file's modification time is checked
 * @param initialTable            table to start with when there is no policies file, or null for the
 *                                model's default
 * @param adminToken              bearer token of the admin API, or null to disable the admin API
 * @param maxEventLoopExecuteTime time an event-loop task may run before Vert.x logs a blocked-thread warning
 */
public record RouterOptions(String host, int httpPort, int grpcPort, int maxBatch, long maxRequestBytes,
                            int maxInFlight, int maxShadowInFlight, int inferenceThreads, int serverInstances,
                            Path policiesFile, Duration policiesPollInterval, TableSpec initialTable,
                            String adminToken, Duration maxEventLoopExecuteTime) {

    /** Default bind address: loopback only, 127.0.0.1. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /** Default REST port: 8080. */
    public static final int DEFAULT_HTTP_PORT = 8080;

    /** Default gRPC port: 8081. */
    public static final int DEFAULT_GRPC_PORT = 8081;

    /** Default images per request: 64. */
    public static final int DEFAULT_MAX_BATCH = 64;

    /**
     * Default request size limit: 8 MiB. A batch of 64 images as nested JSON FP32 with 17 significant
     * digits per value is about 1 MiB, and as raw gRPC FP32 about 200 KiB.
     */
    public static final long DEFAULT_MAX_REQUEST_BYTES = 8L << 20;

    /** Default in-flight limit: 64 requests. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;

    /** Default shadow limit: 16 shadow runs. */
    public static final int DEFAULT_MAX_SHADOW_IN_FLIGHT = 16;

    /** Default policies file poll interval: 2 s. */
    public static final Duration DEFAULT_POLICIES_POLL_INTERVAL = Duration.ofSeconds(2);

    /** Default blocked-thread warning threshold: Vert.x's own default, 2 s. */
    public static final Duration DEFAULT_MAX_EVENT_LOOP_EXECUTE_TIME = Duration.ofSeconds(2);

    public RouterOptions {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        checkPort("httpPort", httpPort);
        checkPort("grpcPort", grpcPort);
        atLeast("maxBatch", maxBatch, 1);
        if (maxRequestBytes < 1024) {
            throw new IllegalArgumentException("maxRequestBytes must be >= 1024, got " + maxRequestBytes);
        }
        atLeast("maxInFlight", maxInFlight, 1);
        atLeast("maxShadowInFlight", maxShadowInFlight, 0);
        atLeast("inferenceThreads", inferenceThreads, 1);
        atLeast("serverInstances", serverInstances, 1);
        positive("policiesPollInterval", policiesPollInterval);
        positive("maxEventLoopExecuteTime", maxEventLoopExecuteTime);
        if (adminToken != null && adminToken.isBlank()) {
            throw new IllegalArgumentException("adminToken must not be blank; pass null to disable the admin API");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Lists the settings without the admin token. */
    @Override
    public String toString() {
        return "RouterOptions[host=" + host + ", httpPort=" + httpPort + ", grpcPort=" + grpcPort + ", maxBatch="
                + maxBatch + ", maxRequestBytes=" + maxRequestBytes + ", maxInFlight=" + maxInFlight
                + ", maxShadowInFlight=" + maxShadowInFlight + ", inferenceThreads=" + inferenceThreads
                + ", serverInstances=" + serverInstances + ", policiesFile=" + policiesFile
                + ", policiesPollInterval=" + policiesPollInterval + ", initialTable=" + initialTable
                + ", adminToken=" + (adminToken == null ? "none" : "set") + ", maxEventLoopExecuteTime="
                + maxEventLoopExecuteTime + "]";
    }

    private static void checkPort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + " must be between 0 and 65535, got " + port);
        }
    }

    private static void atLeast(String name, int value, int minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException(name + " must be >= " + minimum + ", got " + value);
        }
    }

    private static void positive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + value);
        }
    }

    /** Builder with every setting at its default. */
    public static final class Builder {

        private String host = DEFAULT_HOST;
        private int httpPort = DEFAULT_HTTP_PORT;
        private int grpcPort = DEFAULT_GRPC_PORT;
        private int maxBatch = DEFAULT_MAX_BATCH;
        private long maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int maxShadowInFlight = DEFAULT_MAX_SHADOW_IN_FLIGHT;
        private int inferenceThreads = Runtime.getRuntime().availableProcessors();
        private int serverInstances = Math.min(4, Runtime.getRuntime().availableProcessors());
        private Path policiesFile;
        private Duration policiesPollInterval = DEFAULT_POLICIES_POLL_INTERVAL;
        private TableSpec initialTable;
        private String adminToken;
        private Duration maxEventLoopExecuteTime = DEFAULT_MAX_EVENT_LOOP_EXECUTE_TIME;

        private Builder() {
        }

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder httpPort(int value) {
            httpPort = value;
            return this;
        }

        public Builder grpcPort(int value) {
            grpcPort = value;
            return this;
        }

        public Builder maxBatch(int value) {
            maxBatch = value;
            return this;
        }

        public Builder maxRequestBytes(long value) {
            maxRequestBytes = value;
            return this;
        }

        public Builder maxInFlight(int value) {
            maxInFlight = value;
            return this;
        }

        public Builder maxShadowInFlight(int value) {
            maxShadowInFlight = value;
            return this;
        }

        /** Default: the processor count. */
        public Builder inferenceThreads(int value) {
            inferenceThreads = value;
            return this;
        }

        /** Default: the processor count, at most 4. */
        public Builder serverInstances(int value) {
            serverInstances = value;
            return this;
        }

        public Builder policiesFile(Path value) {
            policiesFile = value;
            return this;
        }

        public Builder policiesPollInterval(Duration value) {
            policiesPollInterval = value;
            return this;
        }

        public Builder initialTable(TableSpec value) {
            initialTable = value;
            return this;
        }

        public Builder adminToken(String value) {
            adminToken = value;
            return this;
        }

        public Builder maxEventLoopExecuteTime(Duration value) {
            maxEventLoopExecuteTime = value;
            return this;
        }

        public RouterOptions build() {
            return new RouterOptions(host, httpPort, grpcPort, maxBatch, maxRequestBytes, maxInFlight,
                    maxShadowInFlight, inferenceThreads, serverInstances, policiesFile, policiesPollInterval,
                    initialTable, adminToken, maxEventLoopExecuteTime);
        }
    }
}
