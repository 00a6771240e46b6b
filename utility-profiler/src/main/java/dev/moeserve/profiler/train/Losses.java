package dev.moeserve.profiler.train;

import ai.djl.ndarray.NDArray;

/** Loss functions shared by training and profiling. */
public final class Losses {

    private Losses() {
    }

    /** Mean cross-entropy of {@code logits [B, C]} against int64 class indices {@code target [B]}. */
    public static NDArray crossEntropy(NDArray logits, NDArray target) {
        NDArray logProbabilities = logits.logSoftmax(-1);
        NDArray picked = logProbabilities.gather(target.reshape(-1, 1), 1);
        return picked.mean().neg();
    }

    /** Per-example cross-entropy {@code [B]}. */
    public static NDArray crossEntropyPerExample(NDArray logits, NDArray target) {
        return logits.logSoftmax(-1).gather(target.reshape(-1, 1), 1).reshape(-1).neg();
    }
}
