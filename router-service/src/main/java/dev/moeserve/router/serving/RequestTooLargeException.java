package dev.moeserve.router.serving;

/** Raised for a request body or message above the configured size limit. */
public class RequestTooLargeException extends RuntimeException {

    public RequestTooLargeException(String message) {
        super(message);
    }
}
