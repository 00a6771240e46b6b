package dev.moeserve.router.inference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The routing policies: {@code topk} over all experts, {@code masked} to a pool, and {@code agf-prior}
 * that adds {@code beta * log(prior)} to the logits of the pool's experts before choosing.
 */
public final class Policies {

    /**
     * Largest beta accepted: 100 times the log of the smallest prior (1e-12) is still far inside float
     * range, while a beta like 1e40 turns every adjusted logit into negative infinity.
     */
    public static final double MAX_BETA = 100;

    private Policies() {
    }

    /** Top-k of the learned logits over all experts: the reference, needs the full pool. */
    public static RoutingPolicy topK() {
        return topK("topk");
    }

    /** Like {@link #topK()}, labelled {@code name} in metrics and responses. */
    public static RoutingPolicy topK(String name) {
        return new Adjusted(name, null);
    }

    /**
     * Experts outside {@code pools.get(layer)} get logit negative infinity; top-k of the rest with the
     * weights renormalized over the chosen k. The same as removing those gate columns.
     */
    public static RoutingPolicy masked(String name, List<List<Integer>> pools, int experts) {
        return new Adjusted(name, adjustments(pools, null, 0, experts));
    }

    /**
     * Like {@link #masked}, with {@code beta * log(prior[e])} added to the logits of kept experts; the
     * prior of each layer is normalized to sum to 1 over the pool. {@code beta = 0} is {@code masked}.
     */
    public static RoutingPolicy agfPrior(String name, List<List<Integer>> pools, List<double[]> priors,
                                         double beta, int experts) {
        if (!(beta >= 0) || beta > MAX_BETA) {
            throw new IllegalArgumentException("beta must be between 0 and " + MAX_BETA + ", got " + beta);
        }
        return new Adjusted(name, adjustments(pools, priors, beta, experts));
    }

    private static float[][] adjustments(List<List<Integer>> pools, List<double[]> priors, double beta,
                                         int experts) {
        float[][] adjust = new float[pools.size()][];
        for (int layer = 0; layer < pools.size(); layer++) {
            float[] a = new float[experts];
            Arrays.fill(a, Float.NEGATIVE_INFINITY);
            List<Integer> pool = pools.get(layer);
            double total = 0;
            if (priors != null) {
                for (int e : pool) {
                    total += priors.get(layer)[e];
                }
            }
            for (int e : pool) {
                if (e < 0 || e >= experts) {
                    throw new IllegalArgumentException("pool of layer " + layer + " names expert " + e
                            + ", which must be between 0 and " + (experts - 1));
                }
                a[e] = 0f;
                if (priors != null && beta > 0) {
                    double p = total > 0 ? priors.get(layer)[e] / total : 1.0 / pool.size();
                    // An expert with zero utility stays selectable, at a large but finite penalty.
                    a[e] = (float) (beta * Math.log(Math.max(p, 1e-12)));
                }
            }
            adjust[layer] = a;
        }
        return adjust;
    }

    /** Top-k over logits plus a fixed per-layer adjustment (null: none). */
    private record Adjusted(String name, float[][] adjust) implements RoutingPolicy {

        @Override
        public RouteDecision route(int layer, float[] logits, int tokens, int experts, int k) {
            return GatedTopK.route(logits, tokens, experts, k, adjust == null ? null : adjust[layer]);
        }

        @Override
        public boolean mayUse(int layer, int expert) {
            return adjust == null || adjust[layer][expert] != Float.NEGATIVE_INFINITY;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Pools as lists of all experts 0..experts-1 for every layer. */
    public static List<List<Integer>> fullPools(int layers, int experts) {
        List<List<Integer>> pools = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            List<Integer> pool = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                pool.add(e);
            }
            pools.add(pool);
        }
        return pools;
    }
}
