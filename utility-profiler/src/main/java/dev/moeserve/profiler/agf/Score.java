package dev.moeserve.profiler.agf;

import java.util.Arrays;
import java.util.List;

/** The expert scores the profiler computes, by the name used in profiles, reports and the CLI. */
public enum Score {
    /** First-order AGF over routed tokens: mean over tokens of sum_d |g_e E_e(x)_d dL/dy_d|. */
    AGF("agf"),
    /** First-order AGF with every expert on every token, weighted by the soft gate probability. */
    AGF_DENSE("agf-dense"),
    /** AGF with the gradient averaged over K points on the path from y to y - Y_e (midpoint rule). */
    AGF_PATH("agf-path"),
    /** Exact increase of the calibration loss when the expert is masked and its tokens re-routed. */
    ABLATION("ablation"),
    /**
     * Backward elimination by exact ablation, re-measured after every round of removals; the score is the
     * removal order over all layers (higher is removed later).
     */
    ABLATION_ITERATIVE("ablation-iterative"),
    /** Share of tokens routed to the expert. */
    FREQUENCY("frequency"),
    /** Mean gate weight of the expert over all tokens (zero where not routed). */
    GATE_MASS("gate-mass"),
    /** REAP: mean over routed tokens of g_e(x) times the L2 norm of E_e(x). */
    REAP("reap"),
    /** Frobenius norm of all the expert's weights. */
    WEIGHT_NORM("weight-norm"),
    /** First-order Taylor without the absolute value: |mean over tokens of sum_d g_e E_e(x)_d dL/dy_d|. */
    SIGNED_TAYLOR("signed-taylor"),
    /** Seeded uniform random numbers: the floor any score must beat. */
    RANDOM("random");

    private final String id;

    Score(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /**
     * Returns whether values compare across layers as they are. A global budget then ranks them directly
     * instead of normalizing each layer's scores to sum to 1.
     */
    public boolean sharedScale() {
        return this == ABLATION_ITERATIVE;
    }

    /** Parses a score name such as {@code agf-path}. */
    public static Score parse(String name) {
        for (Score s : values()) {
            if (s.id.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("score must be one of " + ids(List.of(values())) + ", got '" + name + "'");
    }

    public static String ids(List<Score> scores) {
        return Arrays.toString(scores.stream().map(Score::id).toArray());
    }
}
