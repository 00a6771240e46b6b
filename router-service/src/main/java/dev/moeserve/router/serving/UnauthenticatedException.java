package dev.moeserve.router.serving;

/** Raised for an admin call without a bearer token. */
public class UnauthenticatedException extends RuntimeException {

    public UnauthenticatedException(String message) {
        super(message);
    }
}
