package dev.moeserve.router.serving;

/** Raised for a model, model version or endpoint that this server does not serve. */
public class NotFoundException extends RuntimeException {

    public NotFoundException(String message) {
        super(message);
    }
}
