package dev.moeserve.loadtest.client;

/**
 * The images of one inference request and their true labels.
 *
 * @param pixels grey values 0 to 255, row-major {@code [size, 28, 28]}
 * @param labels the true class of each image, or -1 where unknown
 * @param size   images in the request
 */
public record RequestBatch(byte[] pixels, int[] labels, int size) {

    /** Pixels per image. */
    public static final int PIXELS = 28 * 28;

    public RequestBatch {
        if (size < 1 || pixels.length != size * PIXELS || labels.length != size) {
            throw new IllegalArgumentException("a batch of " + size + " images needs " + size * PIXELS
                    + " pixels and " + size + " labels, got " + pixels.length + " and " + labels.length);
        }
    }

    /** Returns the pixels scaled to [0, 1], the pipeline's input. */
    public float[] scaledPixels() {
        float[] scaled = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            scaled[i] = (pixels[i] & 0xff) / 255f;
        }
        return scaled;
    }
}
