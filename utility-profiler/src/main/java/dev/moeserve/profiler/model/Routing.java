package dev.moeserve.profiler.model;

import ai.djl.ndarray.NDArray;

/** Changes the logits that choose experts (not the gate weights) per layer, for masking and priors. */
@FunctionalInterface
public interface Routing {
    NDArray adjust(int layer, NDArray logits);
}
