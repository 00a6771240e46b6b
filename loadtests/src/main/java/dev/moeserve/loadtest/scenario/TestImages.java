package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.model.data.FashionMnist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Request batches cut from the Fashion-MNIST test split, with their true labels. */
public final class TestImages {

    private TestImages() {
    }

    /**
     * Reads the test split from {@code dataDir} and cuts its first {@code images} images into batches of
     * {@code batchSize}; the last batch contains the remainder.
     *
     * @throws IllegalArgumentException when {@code images} exceeds the split or a size is below 1
     * @throws UncheckedIOException     when the split cannot be read
     */
    public static List<RequestBatch> batches(Path dataDir, int batchSize, int images) {
        if (batchSize < 1 || images < 1) {
            throw new IllegalArgumentException("batchSize and images must be >= 1, got " + batchSize + " and " + images);
        }
        FashionMnist.Split split;
        try {
            split = FashionMnist.readTest(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the Fashion-MNIST test split from " + dataDir + " failed: "
                    + e.getMessage() + "; pass --data with the folder of t10k-images-idx3-ubyte.gz", e);
        }
        if (images > split.count()) {
            throw new IllegalArgumentException("images must be at most " + split.count() + ", the size of the test "
                    + "split in " + dataDir + ", got " + images);
        }
        List<RequestBatch> batches = new ArrayList<>();
        for (int from = 0; from < images; from += batchSize) {
            int size = Math.min(batchSize, images - from);
            byte[] pixels = Arrays.copyOfRange(split.images(), from * RequestBatch.PIXELS,
                    (from + size) * RequestBatch.PIXELS);
            int[] labels = new int[size];
            for (int i = 0; i < size; i++) {
                labels[i] = split.label(from + i);
            }
            batches.add(new RequestBatch(pixels, labels, size));
        }
        return batches;
    }
}
