package dev.moeserve.router.serving;

import dev.moeserve.router.inference.InferenceResult;

import java.util.Arrays;

/** The output tensors of a result, flattened row-major, with their shapes; shared by REST and gRPC. */
public final class OutputTensors {

    private OutputTensors() {
    }

    /** Shape of {@code probabilities}: {@code [B, classes]}. */
    public static long[] probabilitiesShape(InferenceResult result) {
        return new long[] {result.batch(), result.classes()};
    }

    /** Values of {@code label}: the predicted class per image. */
    public static long[] labels(InferenceResult result) {
        long[] labels = new long[result.batch()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = result.labels()[i];
        }
        return labels;
    }

    /** Shape of {@code routed_experts}: {@code [B, layers, tokens, k]} with k the largest top-k of any layer. */
    public static long[] routedExpertsShape(InferenceResult result, ServingModel model) {
        return new long[] {result.batch(), model.manifest().layers().size(), model.manifest().tokens(),
                model.maxTopK()};
    }

    /**
     * Values of {@code routed_experts}: expert index per image, layer, token and slot, slots in the order
     * of the gate weights (largest first). A layer whose top-k is below the largest pads its slots with -1.
     */
    public static int[] routedExperts(InferenceResult result, ServingModel model) {
        int layers = model.manifest().layers().size();
        int tokens = model.manifest().tokens();
        int k = model.maxTopK();
        int[] out = new int[result.batch() * layers * tokens * k];
        Arrays.fill(out, -1);
        for (int i = 0; i < result.batch(); i++) {
            for (int l = 0; l < layers; l++) {
                int[] chosen = result.routedExperts()[i][l];
                int layerK = model.manifest().layer(l).topK();
                for (int t = 0; t < tokens; t++) {
                    int target = ((i * layers + l) * tokens + t) * k;
                    System.arraycopy(chosen, t * layerK, out, target, layerK);
                }
            }
        }
        return out;
    }
}
