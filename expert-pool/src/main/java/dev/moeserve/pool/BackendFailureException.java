package dev.moeserve.pool;

/** Raised for an expert call that failed inside ONNX Runtime or on every worker tried. */
public class BackendFailureException extends RuntimeException {

    public BackendFailureException(String message) {
        super(message);
    }

    public BackendFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
