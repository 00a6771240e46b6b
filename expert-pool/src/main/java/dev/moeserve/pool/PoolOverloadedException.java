package dev.moeserve.pool;

/** Raised for a full queue: the caller should retry later. */
public class PoolOverloadedException extends RuntimeException {

    public PoolOverloadedException(String message) {
        super(message);
    }

    public PoolOverloadedException(String message, Throwable cause) {
        super(message, cause);
    }
}
