package dev.moeserve.router.policy;

import dev.moeserve.router.inference.InferenceResult;
import dev.moeserve.router.inference.MoePipeline;
import dev.moeserve.router.inference.RoutingPolicy;

import java.util.concurrent.CompletableFuture;

/** A policy with a single stage: every image is served once with {@code routing}. */
record RoutedPolicy(String kind, RoutingPolicy routing, int[] poolSizes) implements ServingPolicy {

    @Override
    public String name() {
        return routing.name();
    }

    @Override
    public CompletableFuture<InferenceResult> serve(MoePipeline pipeline, float[] images, int batch,
                                                    boolean traceExperts) {
        return pipeline.infer(images, batch, routing, traceExperts);
    }

    @Override
    public boolean mayUse(int layer, int expert) {
        return routing.mayUse(layer, expert);
    }

    @Override
    public int poolSize(int layer) {
        return poolSizes[layer];
    }

    @Override
    public String toString() {
        return kind + " '" + name() + "'";
    }
}
