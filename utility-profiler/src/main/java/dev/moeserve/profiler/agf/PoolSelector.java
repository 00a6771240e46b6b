package dev.moeserve.profiler.agf;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses the experts to keep from one score. {@code per-layer}: the same count in every layer.
 * {@code global}: one ranking over all layers of each layer's scores normalized to sum to 1, so layers
 * may keep different counts, but never fewer than top-k.
 */
public final class PoolSelector {

    /** Spread of the kept count over layers. */
    public enum Budget {
        PER_LAYER("per-layer"), GLOBAL("global");

        private final String id;

        Budget(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Budget parse(String text) {
            for (Budget b : values()) {
                if (b.id.equals(text)) {
                    return b;
                }
            }
            throw new IllegalArgumentException("budget must be per-layer or global, got '" + text + "'");
        }
    }

    private PoolSelector() {
    }

    /** Returns the kept experts of every layer, sorted, for keep ratio {@code ratio} in (0, 1]. */
    public static List<List<Integer>> select(double[][] scores, double ratio, Budget budget, int topK) {
        return select(scores, ratio, budget, topK, false);
    }

    /**
     * As {@link #select(double[][], double, Budget, int)}; with {@code sharedScale} a global budget ranks
     * the scores as they are instead of normalizing each layer's to sum to 1 ({@link Score#sharedScale()}).
     */
    public static List<List<Integer>> select(double[][] scores, double ratio, Budget budget, int topK,
                                             boolean sharedScale) {
        if (!(ratio > 0 && ratio <= 1)) {
            throw new IllegalArgumentException("keep ratio must be in (0, 1], got " + ratio);
        }
        int layers = scores.length;
        int experts = scores[0].length;
        int perLayer = Math.max(topK, (int) Math.round(ratio * experts));
        if (budget == Budget.PER_LAYER) {
            List<List<Integer>> pools = new ArrayList<>();
            for (double[] layer : scores) {
                pools.add(sorted(ranked(layer).subList(0, perLayer)));
            }
            return pools;
        }
        return global(scores, Math.max(topK * layers, (int) Math.round(ratio * experts * layers)), topK,
                sharedScale);
    }

    /** Expert indices of one layer from the highest score to the lowest; ties keep the lower index first. */
    public static List<Integer> ranked(double[] layer) {
        List<Integer> order = new ArrayList<>();
        for (int e = 0; e < layer.length; e++) {
            order.add(e);
        }
        order.sort(Comparator.comparingDouble((Integer e) -> -layer[e]).thenComparingInt(e -> e));
        return order;
    }

    private static List<List<Integer>> global(double[][] scores, int total, int topK, boolean sharedScale) {
        int layers = scores.length;
        int experts = scores[0].length;
        List<int[]> candidates = new ArrayList<>();
        double[][] normalized = new double[layers][experts];
        for (int l = 0; l < layers; l++) {
            double sum = 0;
            for (double v : scores[l]) {
                sum += Math.max(0, v);
            }
            for (int e = 0; e < experts; e++) {
                if (sharedScale) {
                    normalized[l][e] = scores[l][e];
                } else if (sum > 0) {
                    normalized[l][e] = Math.max(0, scores[l][e]) / sum;
                } else {
                    normalized[l][e] = 1.0 / experts;
                }
                candidates.add(new int[] {l, e});
            }
        }
        candidates.sort(Comparator.comparingDouble((int[] c) -> -normalized[c[0]][c[1]])
                .thenComparingInt(c -> c[0]).thenComparingInt(c -> c[1]));

        List<List<Integer>> pools = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            pools.add(new ArrayList<>(ranked(scores[l]).subList(0, topK)));
        }
        int kept = topK * layers;
        for (int[] c : candidates) {
            if (kept >= total) {
                break;
            }
            if (!pools.get(c[0]).contains(c[1])) {
                pools.get(c[0]).add(c[1]);
                kept++;
            }
        }
        List<List<Integer>> out = new ArrayList<>();
        for (List<Integer> pool : pools) {
            out.add(sorted(pool));
        }
        return out;
    }

    private static List<Integer> sorted(List<Integer> pool) {
        List<Integer> copy = new ArrayList<>(pool);
        copy.sort(null);
        return copy;
    }

    /** Returns the router's prior: each layer's scores over its pool normalized to sum to 1, zero outside. */
    public static List<double[]> priors(double[][] scores, List<List<Integer>> pools) {
        List<double[]> priors = new ArrayList<>();
        for (int l = 0; l < scores.length; l++) {
            double[] prior = new double[scores[l].length];
            double sum = 0;
            for (int e : pools.get(l)) {
                sum += Math.max(0, scores[l][e]);
            }
            for (int e : pools.get(l)) {
                prior[e] = sum > 0 ? Math.max(0, scores[l][e]) / sum : 1.0 / pools.get(l).size();
            }
            priors.add(prior);
        }
        return priors;
    }
}
