package dev.moeserve.profiler.agf;

import java.util.Map;

/**
 * Scores of one profiling pass: {@code scores.get(score)[layer][expert]}, the share of routed slots
 * per expert, and seconds spent per score group (with the forward-only frequency count as the unit).
 */
public record ProfileResult(Map<Score, double[][]> scores, double[][] routedShare, Map<String, Double> seconds) {

    public double[][] score(Score score) {
        double[][] s = scores.get(score);
        if (s == null) {
            throw new IllegalArgumentException("score " + score.id() + " was not computed in this profile");
        }
        return s;
    }
}
