package dev.moeserve.model.vit;

/**
 * Shape of the reference Vision Transformer whose feed-forward blocks are MoE layers.
 *
 * @param stemChannels channels of the 3x3 convolution before patching
 * @param patch patch side in pixels; the 28x28 image gives (28 / patch)^2 patch tokens plus one class token
 * @param width model width d
 * @param heads attention heads
 * @param layers transformer blocks, each with one MoE layer
 * @param experts experts per MoE layer
 * @param topK experts each token is routed to
 * @param expertHidden hidden width of each two-layer expert MLP
 * @param classes output classes
 */
public record VitMoeConfig(int stemChannels, int patch, int width, int heads, int layers, int experts,
                           int topK, int expertHidden, int classes) {

    /** Pixel mean of the Fashion-MNIST training split, applied inside the first trunk segment. */
    public static final float PIXEL_MEAN = 0.2860f;

    /** Pixel standard deviation of the Fashion-MNIST training split. */
    public static final float PIXEL_STD = 0.3530f;

    /** Layer-norm epsilon used by every layer norm, in DJL and in the exported ONNX graphs. */
    public static final float LAYER_NORM_EPS = 1e-5f;

    public VitMoeConfig {
        if (28 % patch != 0) {
            throw new IllegalArgumentException("patch must divide 28, got " + patch);
        }
        if (width % heads != 0) {
            throw new IllegalArgumentException("width must be a multiple of heads (" + heads + "), got " + width);
        }
        if (topK < 1 || topK > experts) {
            throw new IllegalArgumentException("topK must be between 1 and " + experts + ", got " + topK);
        }
    }

    /** Returns the reference model: 16 stem channels, 4x4 patches, width 64, 4 heads, 4 blocks of 16 experts, top-2. */
    public static VitMoeConfig reference() {
        return new VitMoeConfig(16, 4, 64, 4, 4, 16, 2, 128, 10);
    }

    public int gridSide() {
        return 28 / patch;
    }

    /** Tokens per image: the patch tokens plus the class token. */
    public int tokens() {
        return gridSide() * gridSide() + 1;
    }

    public int headDim() {
        return width / heads;
    }
}
