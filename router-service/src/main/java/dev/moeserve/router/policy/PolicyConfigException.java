package dev.moeserve.router.policy;

/** Raised for an invalid policy table: the message names the file or source, the field and the value. */
public class PolicyConfigException extends IllegalArgumentException {

    public PolicyConfigException(String message) {
        super(message);
    }

    public PolicyConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
