package dev.moeserve.router.policy;

import dev.moeserve.router.inference.InferenceResult;
import dev.moeserve.router.inference.MoePipeline;

import java.util.concurrent.CompletableFuture;

/**
 * Serves with a reduced-pool policy first; images whose top-1 probability is below {@code tau} are
 * served again with the full pool ({@code topk}). Both stages carry the cascade's name, so tokens per
 * expert count the load the cascade puts on each expert, escalations included.
 */
record CascadePolicy(String name, RoutedPolicy reduced, RoutedPolicy full, double tau) implements ServingPolicy {

    @Override
    public String kind() {
        return PolicySpec.CASCADE;
    }

    @Override
    public CompletableFuture<InferenceResult> serve(MoePipeline pipeline, float[] images, int batch,
                                                    boolean traceExperts) {
        return pipeline.inferCascade(images, batch, reduced.routing(), full.routing(), tau, name, traceExperts);
    }

    @Override
    public boolean mayUse(int layer, int expert) {
        return reduced.mayUse(layer, expert) || full.mayUse(layer, expert);
    }

    @Override
    public int poolSize(int layer) {
        return reduced.poolSize(layer);
    }

    @Override
    public String toString() {
        return "cascade '" + name + "' (tau " + tau + ", first stage " + reduced.kind() + ")";
    }
}
