package dev.moeserve.pool;

/** Raised for an expert that the backend does not hold. */
public class ExpertNotFoundException extends RuntimeException {

    public ExpertNotFoundException(String message) {
        super(message);
    }

    public ExpertNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
