package dev.moeserve.pool;

/** Raised for a call made after the backend started closing. */
public class BackendClosedException extends RuntimeException {

    public BackendClosedException(String message) {
        super(message);
    }
}
