package dev.moeserve.router.serving;

/** Raised for a request that can never succeed as sent: malformed, wrong shape, datatype or values. */
public class InvalidRequestException extends RuntimeException {

    public InvalidRequestException(String message) {
        super(message);
    }
}
