package dev.moeserve.router.inference;

/**
 * Output of one batch: logits and class probabilities {@code [batch, classes]}, predicted labels, and
 * optionally the experts used, {@code routedExperts[image][layer][token * k + slot]}, the policy that
 * served it, and how many images a cascade served again with the full pool.
 */
public record InferenceResult(int batch, int classes, float[] logits, float[] probabilities, int[] labels,
                              int[][][] routedExperts, String policy, int escalated) {

    /** Top-1 probability of image {@code i}. */
    public float confidence(int i) {
        return probabilities[i * classes + labels[i]];
    }
}
