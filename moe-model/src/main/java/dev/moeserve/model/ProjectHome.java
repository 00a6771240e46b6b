package dev.moeserve.model;

import java.nio.file.Path;

/**
 * Resolves the default locations of committed files (models, data). The {@code ./moe} launcher sets the
 * environment variable {@value #ENVIRONMENT} to the repository root, so defaults work from any
 * directory; without it they are relative to the working directory. Paths given by the user are never
 * rewritten.
 */
public final class ProjectHome {

    /** Environment variable holding the repository root. */
    public static final String ENVIRONMENT = "MOE_HOME";

    private ProjectHome() {
    }

    /** Returns {@code relative} under the repository root when {@value #ENVIRONMENT} is set. */
    public static Path path(String relative) {
        String home = System.getenv(ENVIRONMENT);
        return home == null || home.isBlank() ? Path.of(relative) : Path.of(home).resolve(relative);
    }
}
