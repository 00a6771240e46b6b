package dev.moeserve.model.bundle;

import java.nio.file.Path;
import java.util.Locale;

/** Shared checks of the manifest validators, which raise {@link BundleException} naming the field and value. */
final class Checker {

    private final Path dir;

    Checker(Path dir) {
        this.dir = dir;
    }

    /** Returns an exception for the bundle with a message formatted in {@link Locale#ROOT}. */
    BundleException fail(String format, Object... args) {
        return new BundleException(dir, String.format(Locale.ROOT, format, args));
    }

    void requireText(String value, String field) {
        if (value == null) {
            throw fail("%s is missing", field);
        }
        if (value.isBlank()) {
            throw fail("%s must not be blank", field);
        }
    }

    void requireAtLeast(long value, long min, String field) {
        if (value < min) {
            throw fail("%s must be at least %d, got %d", field, min, value);
        }
    }

    void requireBetween(long value, long min, long max, String field) {
        if (value < min || value > max) {
            throw fail("%s must be between %d and %d, got %d", field, min, max, value);
        }
    }

    /** Requires a path that stays inside the bundle folder (see {@link RelativePaths#problem}). */
    void requirePath(String value, String field) {
        requireText(value, field);
        String problem = RelativePaths.problem(value);
        if (problem != null) {
            throw fail("%s %s", field, problem);
        }
    }

    void requireNotNull(Object value, String field) {
        if (value == null) {
            throw fail("%s is missing", field);
        }
    }
}
