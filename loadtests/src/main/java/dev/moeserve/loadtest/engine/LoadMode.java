package dev.moeserve.loadtest.engine;

/** Ways of issuing requests during a measurement. */
public enum LoadMode {

    /** A fixed number of callers, each sending its next request when the previous one completes. */
    CLOSED,

    /** Requests start at a target rate whatever the response times; latency counts from the scheduled start. */
    OPEN
}
