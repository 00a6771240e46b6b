package dev.moeserve.profiler.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.moeserve.profiler.agf.UtilityProfile;
import dev.moeserve.profiler.report.ReportRow;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The default score and beta chosen on the validation split: the score with the best mean accuracy
 * under {@code masked} routing over the keep ratios below 1, and the beta of {@code agf-prior} with the
 * best mean accuracy for that score (0 when no beta beats {@code masked}).
 */
record ValidationChoice(String score, double beta, Map<String, Double> meanAccuracyByScore) {

    static ValidationChoice of(List<ReportRow> rows, List<Double> keeps) {
        Map<String, Double> byScore = new LinkedHashMap<>();
        rows.stream().map(ReportRow::score).filter(s -> !s.equals("full") && !s.equals("random")).distinct()
                .forEach(s -> byScore.put(s, mean(rows, s, "masked", Double.NaN)));
        String best = byScore.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        double bestBeta = 0;
        double bestAccuracy = byScore.get(best);
        for (double beta : rows.stream().filter(r -> r.policy().equals("agf-prior")).map(ReportRow::beta)
                .distinct().toList()) {
            double accuracy = mean(rows, best, "agf-prior", beta);
            if (accuracy > bestAccuracy) {
                bestAccuracy = accuracy;
                bestBeta = beta;
            }
        }
        return new ValidationChoice(best, bestBeta, byScore);
    }

    private static double mean(List<ReportRow> rows, String score, String policy, double beta) {
        return rows.stream().filter(r -> r.score().equals(score) && r.policy().equals(policy)
                        && (Double.isNaN(beta) || r.beta() == beta))
                .mapToDouble(ReportRow::accuracy).average().orElse(Double.NaN);
    }

    /** The choice as recorded in a profile with path points {@code k}. */
    UtilityProfile.ValidationChoice record(int k, String split, List<Double> keeps, List<String> bundles) {
        return new UtilityProfile.ValidationChoice(score, k, beta, split, keeps, bundles, meanAccuracyByScore);
    }

    String describe() {
        return String.format("Chosen on the validation split: score %s, beta %s (mean masked accuracy by score: %s)",
                score, beta, meanAccuracyByScore);
    }

    String toJson() throws JsonProcessingException {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
    }
}
