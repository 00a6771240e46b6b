package dev.moeserve.loadtest.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository root from the test's working directory, the module folder under Maven. */
public final class RepositoryFiles {

    private RepositoryFiles() {
    }

    /** Returns the nearest folder at or above the working directory that contains {@code moe} and {@code pom.xml}. */
    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isRegularFile(dir.resolve("moe")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("no folder above " + Path.of("").toAbsolutePath()
                + " holds the moe launcher and pom.xml; run the tests from the repository");
    }

    /** Returns {@code relative} under the repository root. */
    public static Path resolve(String relative) {
        return root().resolve(relative);
    }
}
