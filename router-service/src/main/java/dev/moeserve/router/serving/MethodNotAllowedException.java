package dev.moeserve.router.serving;

/** Raised for an HTTP method that an existing path does not accept (HTTP 405). */
public class MethodNotAllowedException extends RuntimeException {

    public MethodNotAllowedException(String message) {
        super(message);
    }
}
