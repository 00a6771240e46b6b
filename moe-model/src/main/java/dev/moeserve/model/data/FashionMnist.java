package dev.moeserve.model.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads Fashion-MNIST from its IDX files (gzip-compressed or plain).
 *
 * <p>Images are returned as unsigned bytes, 784 per image in row-major order; labels as bytes 0 to 9.
 */
public final class FashionMnist {

    /** Folder of the IDX files installed by Debian's {@code dataset-fashion-mnist} package. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** Image side in pixels. */
    public static final int SIDE = 28;

    /** Pixels per image. */
    public static final int PIXELS = SIDE * SIDE;

    public static final List<String> LABELS = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private static final int IMAGE_MAGIC = 0x00000803;
    private static final int LABEL_MAGIC = 0x00000801;

    private FashionMnist() {
    }

    /** A split: {@code images.length == count * PIXELS}, {@code labels.length == count}. */
    public record Split(byte[] images, byte[] labels) {

        public int count() {
            return labels.length;
        }

        /** Returns pixels of image {@code index} scaled to [0, 1]. */
        public float[] imageAsFloats(int index) {
            float[] out = new float[PIXELS];
            int base = index * PIXELS;
            for (int i = 0; i < PIXELS; i++) {
                out[i] = (images[base + i] & 0xFF) / 255f;
            }
            return out;
        }

        /** Returns images {@code [from, from + count)} scaled to [0, 1], one after another. */
        public float[] imagesAsFloats(int from, int count) {
            int[] indices = new int[count];
            for (int i = 0; i < count; i++) {
                indices[i] = from + i;
            }
            return imagesAsFloats(indices);
        }

        /** Returns the images at {@code indices} scaled to [0, 1], one after another. */
        public float[] imagesAsFloats(int[] indices) {
            float[] out = new float[indices.length * PIXELS];
            for (int i = 0; i < indices.length; i++) {
                int base = indices[i] * PIXELS;
                for (int p = 0; p < PIXELS; p++) {
                    out[i * PIXELS + p] = (images[base + p] & 0xFF) / 255f;
                }
            }
            return out;
        }

        public int label(int index) {
            return labels[index];
        }

        /** Returns images {@code [from, to)} as a new split. */
        public Split slice(int from, int to) {
            byte[] imagePart = java.util.Arrays.copyOfRange(images, from * PIXELS, to * PIXELS);
            byte[] labelPart = java.util.Arrays.copyOfRange(labels, from, to);
            return new Split(imagePart, labelPart);
        }
    }

    /** Reads the 60,000 training images from {@code dir} ({@code train-*-ubyte[.gz]}). */
    public static Split readTrain(Path dir) throws IOException {
        return read(dir, "train");
    }

    /** Reads the 10,000 test images from {@code dir} ({@code t10k-*-ubyte[.gz]}). */
    public static Split readTest(Path dir) throws IOException {
        return read(dir, "t10k");
    }

    /** Reads the committed calibration subset: training images 0 to 4,095. */
    public static Split readCalibration(Path dir) throws IOException {
        return read(dir, "calibration");
    }

    /** Reads the committed validation split: training images 55,000 to 59,999. */
    public static Split readValidation(Path dir) throws IOException {
        return read(dir, "validation");
    }

    /** Reads {@code PREFIX-images-idx3-ubyte[.gz]} and {@code PREFIX-labels-idx1-ubyte[.gz]} from {@code dir}. */
    public static Split read(Path dir, String prefix) throws IOException {
        Path images = locate(dir, prefix + "-images-idx3-ubyte");
        Path labels = locate(dir, prefix + "-labels-idx1-ubyte");
        byte[] imageBytes = readIdx(images, IMAGE_MAGIC, PIXELS);
        byte[] labelBytes = readIdx(labels, LABEL_MAGIC, 1);
        if (imageBytes.length / PIXELS != labelBytes.length) {
            throw new IOException("image count " + imageBytes.length / PIXELS + " in " + images
                    + " does not match label count " + labelBytes.length + " in " + labels);
        }
        return new Split(imageBytes, labelBytes);
    }

    private static Path locate(Path dir, String baseName) throws IOException {
        Path gz = dir.resolve(baseName + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(baseName);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        throw new NoSuchFileException(gz.toString(), null,
                "Fashion-MNIST file not found; install it with 'apt-get install dataset-fashion-mnist'"
                        + " or pass the folder that holds " + baseName + "[.gz]");
    }

    private static byte[] readIdx(Path file, int expectedMagic, int itemSize) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
             DataInputStream data = new DataInputStream(in)) {
            int magic = data.readInt();
            if (magic != expectedMagic) {
                throw new IOException(String.format("%s: IDX magic must be 0x%08x, got 0x%08x",
                        file, expectedMagic, magic));
            }
            int count = data.readInt();
            int dims = (expectedMagic & 0xFF) - 1;
            int size = 1;
            for (int i = 0; i < dims; i++) {
                size *= data.readInt();
            }
            if (size != itemSize) {
                throw new IOException(file + ": item size must be " + itemSize + ", got " + size);
            }
            byte[] out = new byte[count * itemSize];
            data.readFully(out);
            return out;
        }
    }
}
