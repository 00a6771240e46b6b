package dev.moeserve.profiler.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.profiler.model.Routing;
import dev.moeserve.profiler.model.VitMoe;

/** Accuracy of the DJL model on a split, without gradients. */
public final class Evaluation {

    private Evaluation() {
    }

    public static double accuracy(NDManager manager, VitMoe model, FashionMnist.Split split, int batchSize) {
        return accuracy(manager, model, split, batchSize, null);
    }

    public static double accuracy(NDManager manager, VitMoe model, FashionMnist.Split split, int batchSize,
                                  Routing routing) {
        int correct = 0;
        for (int from = 0; from < split.count(); from += batchSize) {
            int size = Math.min(batchSize, split.count() - from);
            float[] pixels = split.imagesAsFloats(from, size);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray images = manager.create(pixels, new Shape(size, 28, 28));
                long[] predicted = model.forward(images, routing, null).logits().argMax(1).toLongArray();
                for (int i = 0; i < size; i++) {
                    if (predicted[i] == split.label(from + i)) {
                        correct++;
                    }
                }
            }
        }
        return (double) correct / split.count();
    }
}
