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
 * under {@code masked} routing over the keep ratios below 1, among the scores evaluated on every bundle
 * at every such keep ratio, and the beta of {@code agf-prior} with the best mean accuracy for that score.
 * The beta is 0 when no beta tried beats {@code masked}, and null when none was tried.
 */
record ValidationChoice(String score, Double beta, Map<String, Double> meanAccuracyByScore) {

    /**
     * Chooses from the rows of an evaluation.
     *
     * @throws IllegalArgumentException when no score other than {@code random} has a {@code masked} row for
     *                                  every bundle and keep ratio below 1
     */
    static ValidationChoice of(List<ReportRow> rows) {
        List<ReportRow> masked = rows.stream()
                .filter(r -> r.policy().equals("masked") && r.keepRatio() < 1).toList();
        long cells = masked.stream().map(ValidationChoice::cell).distinct().count();
        Map<String, Double> byScore = new LinkedHashMap<>();
        for (String score : masked.stream().map(ReportRow::score).distinct().toList()) {
            List<ReportRow> own = masked.stream().filter(r -> r.score().equals(score)).toList();
            long covered = own.stream().map(ValidationChoice::cell).distinct().count();
            if (!score.equals("random") && covered == cells) {
                byScore.put(score, own.stream().mapToDouble(ReportRow::accuracy).average().orElseThrow());
            }
        }
        if (byScore.isEmpty()) {
            throw new IllegalArgumentException("choosing a default needs a score other than random evaluated with"
                    + " masked routing on every bundle at a keep ratio below 1; got scores "
                    + masked.stream().map(ReportRow::score).distinct().toList() + " over " + cells
                    + " bundle and keep combinations");
        }
        String best = byScore.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        List<Double> betas = rows.stream().filter(r -> r.policy().equals("agf-prior") && r.score().equals(best)
                && r.keepRatio() < 1).map(ReportRow::beta).distinct().toList();
        if (betas.isEmpty()) {
            return new ValidationChoice(best, null, byScore);
        }
        double bestBeta = 0;
        double bestAccuracy = byScore.get(best);
        for (double beta : betas) {
            double accuracy = mean(rows, best, "agf-prior", beta);
            if (accuracy > bestAccuracy) {
                bestAccuracy = accuracy;
                bestBeta = beta;
            }
        }
        return new ValidationChoice(best, bestBeta, byScore);
    }

    /** Returns the bundle and keep ratio of a row, the unit every score must cover. */
    private static String cell(ReportRow row) {
        return row.bundle() + "@" + row.keepRatio();
    }

    private static double mean(List<ReportRow> rows, String score, String policy, double beta) {
        return rows.stream().filter(r -> r.score().equals(score) && r.policy().equals(policy)
                        && r.keepRatio() < 1 && r.beta() == beta)
                .mapToDouble(ReportRow::accuracy).average().orElse(Double.NaN);
    }

    /** The choice as recorded in a profile with path points {@code k}. */
    UtilityProfile.ValidationChoice record(int k, String split, List<Double> keeps, List<String> bundles) {
        return new UtilityProfile.ValidationChoice(score, k, beta, split, keeps, bundles, meanAccuracyByScore);
    }

    String describe() {
        return String.format("Chosen on the validation split: score %s, beta %s (mean masked accuracy by score: %s)",
                score, beta == null ? "not chosen (no agf-prior rows)" : beta, meanAccuracyByScore);
    }

    String toJson() throws JsonProcessingException {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
    }
}
