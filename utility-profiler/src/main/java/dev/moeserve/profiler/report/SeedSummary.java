package dev.moeserve.profiler.report;

import dev.moeserve.profiler.agf.Statistics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Summary over several bundles (training seeds): mean and standard deviation of accuracy per
 * configuration, and the paired per-seed difference of the default score against each baseline.
 */
public final class SeedSummary {

    /** The baselines the default score is compared with. */
    public static final List<String> BASELINES = List.of("frequency", "gate-mass", "reap", "weight-norm");

    private SeedSummary() {
    }

    public static String markdown(List<ReportRow> rows, String defaultScore) {
        StringBuilder md = new StringBuilder("# Accuracy over training seeds\n\n");
        Map<String, List<ReportRow>> groups = new LinkedHashMap<>();
        for (ReportRow r : rows) {
            String key = String.join("|", r.score(), String.valueOf(r.keepRatio()), r.budget(), r.policy(),
                    String.valueOf(r.beta()), String.valueOf(r.tau()));
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        md.append("| score | keep | budget | policy | beta | tau | seeds | mean | std |\n")
                .append("|---|---:|---|---|---:|---:|---:|---:|---:|\n");
        for (List<ReportRow> group : groups.values()) {
            ReportRow first = group.get(0);
            double[] accuracy = group.stream().mapToDouble(ReportRow::accuracy).toArray();
            md.append(String.format("| %s | %.2f | %s | %s | %s | %s | %d | %.2f%% | %.2f |%n", first.score(),
                    first.keepRatio(), first.budget(), first.policy(), Double.isNaN(first.beta()) ? "" : first.beta(),
                    Double.isNaN(first.tau()) ? "" : first.tau(), group.size(), Statistics.mean(accuracy) * 100,
                    Statistics.standardDeviation(accuracy) * 100));
        }
        md.append("\n## Paired difference of ").append(defaultScore)
                .append(" against each baseline (masked routing, percentage points)\n\n")
                .append("| baseline | keep | budget | per seed | mean | std |\n|---|---:|---|---|---:|---:|\n");
        TreeSet<Double> keeps = new TreeSet<>();
        rows.stream().filter(r -> !r.score().equals("full")).forEach(r -> keeps.add(r.keepRatio()));
        for (String baseline : BASELINES) {
            for (double keep : keeps.descendingSet()) {
                for (String budget : budgets(rows)) {
                    double[] diff = paired(rows, defaultScore, baseline, keep, budget);
                    if (diff.length == 0) {
                        continue;
                    }
                    StringBuilder each = new StringBuilder();
                    for (double d : diff) {
                        each.append(String.format("%+.2f ", d * 100));
                    }
                    md.append(String.format("| %s | %.2f | %s | %s| %+.2f | %.2f |%n", baseline, keep, budget, each,
                            Statistics.mean(diff) * 100, Statistics.standardDeviation(diff) * 100));
                }
            }
        }
        return md.toString();
    }

    private static List<String> budgets(List<ReportRow> rows) {
        return rows.stream().map(ReportRow::budget).filter(b -> !b.isEmpty()).distinct().toList();
    }

    /** Per-bundle accuracy of {@code score} minus {@code baseline}, masked routing, for bundles having both. */
    static double[] paired(List<ReportRow> rows, String score, String baseline, double keep, String budget) {
        List<Double> diff = new ArrayList<>();
        for (String bundle : rows.stream().map(ReportRow::bundle).distinct().toList()) {
            Double a = find(rows, bundle, score, keep, budget);
            Double b = find(rows, bundle, baseline, keep, budget);
            if (a != null && b != null) {
                diff.add(a - b);
            }
        }
        return diff.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static Double find(List<ReportRow> rows, String bundle, String score, double keep, String budget) {
        return rows.stream().filter(r -> r.bundle().equals(bundle) && r.score().equals(score)
                        && r.keepRatio() == keep && Objects.equals(r.budget(), budget) && r.policy().equals("masked"))
                .map(ReportRow::accuracy).findFirst().orElse(null);
    }
}
