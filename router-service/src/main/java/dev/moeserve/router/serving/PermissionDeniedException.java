package dev.moeserve.router.serving;

/** Raised for an admin call with a wrong token, or any admin call while the admin API is disabled. */
public class PermissionDeniedException extends RuntimeException {

    public PermissionDeniedException(String message) {
        super(message);
    }
}
