package dev.moeserve.model.bundle;

import java.nio.file.Path;

/**
 * Raised when a bundle is invalid, cannot be read or written, or lacks a requested part.
 *
 * <p>The message starts with the bundle folder, followed by the detail, for example
 * {@code bundle /models/vit: layers[0].topK must be between 1 and 16, got 20}.
 */
public class BundleException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path bundle;
    private final String detail;

    public BundleException(Path bundle, String detail) {
        this(bundle, detail, null);
    }

    public BundleException(Path bundle, String detail, Throwable cause) {
        super("bundle " + bundle + ": " + detail, cause);
        this.bundle = bundle;
        this.detail = detail;
    }

    /** Returns the bundle folder. */
    public Path bundle() {
        return bundle;
    }

    /** Returns the message without the bundle folder. */
    public String detail() {
        return detail;
    }
}
