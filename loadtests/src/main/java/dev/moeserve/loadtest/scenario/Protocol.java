package dev.moeserve.loadtest.scenario;

/** The router protocol a load test uses. */
public enum Protocol {

    /** KServe v2 REST with JSON bodies. */
    HTTP,

    /** KServe v2 gRPC with raw tensor contents. */
    GRPC;

    /** Returns the name as written on the command line and in reports: {@code http} or {@code grpc}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
