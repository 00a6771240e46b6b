package dev.moeserve.profiler;

import dev.moeserve.model.data.FashionMnist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the committed model and test split, from the module folder or the repository root. */
public final class TestData {

    private TestData() {
    }

    /** Returns the repository root: the first folder upwards that contains {@code data/fashion-mnist}. */
    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("data/fashion-mnist"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no data/fashion-mnist folder above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** Returns the reference bundle, or the folder named by the system property {@code moe.test.bundle}. */
    public static Path referenceBundle() {
        String override = System.getProperty("moe.test.bundle");
        return override != null ? Path.of(override) : root().resolve("models/fashion-vit-moe");
    }

    public static FashionMnist.Split testSplit() {
        try {
            return FashionMnist.readTest(root().resolve("data/fashion-mnist"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Images {@code [from, from + count)} as floats in [0, 1]. */
    public static float[] images(FashionMnist.Split split, int from, int count) {
        return split.imagesAsFloats(from, count);
    }
}
