package dev.moeserve.router.serving;

/**
 * Raised when the server cannot serve a valid request now: it is shutting down, or the chosen policy
 * needs an expert that no backend holds.
 */
public class UnavailableException extends RuntimeException {

    public UnavailableException(String message) {
        super(message);
    }

    public UnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
