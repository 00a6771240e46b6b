package dev.moeserve.router.policy;

import dev.moeserve.router.inference.InferenceResult;
import dev.moeserve.router.inference.MoePipeline;

import java.util.concurrent.CompletableFuture;

/**
 * A compiled policy that serves a batch: one routing policy, or a cascade of a reduced-pool policy and
 * the full pool. Implementations are immutable and thread-safe.
 */
public interface ServingPolicy {

    /** Returns the label in metrics, in the {@code x-moe-policy} header and in the response parameters. */
    String name();

    /** Returns the kind as written in a policies file: topk, masked, agf-prior or cascade. */
    String kind();

    /** Runs {@code batch} images {@code [batch, 28, 28]} in [0, 1] through {@code pipeline}. */
    CompletableFuture<InferenceResult> serve(MoePipeline pipeline, float[] images, int batch, boolean traceExperts);

    /** Returns whether any stage of this policy can route a token of {@code layer} to {@code expert}. */
    boolean mayUse(int layer, int expert);

    /** Returns how many experts of {@code layer} the first stage chooses from: the pool size it serves with. */
    int poolSize(int layer);
}
