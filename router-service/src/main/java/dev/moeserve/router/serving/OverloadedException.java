package dev.moeserve.router.serving;

/** Raised when the in-flight request limit is reached: the caller should retry later. */
public class OverloadedException extends RuntimeException {

    public OverloadedException(String message) {
        super(message);
    }
}
