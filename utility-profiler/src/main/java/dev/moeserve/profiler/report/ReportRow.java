package dev.moeserve.profiler.report;

/**
 * One line of {@code report.csv}. {@code beta} and {@code tau} are NaN where they do not apply;
 * {@code expertCompute} is the expert work relative to one pass of the full model (1 + escalation rate
 * for a cascade, 1 otherwise, since every token always uses k experts).
 */
public record ReportRow(String bundle, String score, double keepRatio, String budget, String policy, double beta,
                        double tau, double accuracy, double escalationRate, double expertCompute, int keptExperts) {

    public static final String HEADER =
            "bundle,score,keep_ratio,budget,policy,beta,tau,accuracy,escalation_rate,expert_compute,kept_experts";

    public String csv() {
        return String.join(",", bundle, score, format(keepRatio), budget, policy, format(beta), format(tau),
                String.format("%.4f", accuracy), String.format("%.4f", escalationRate),
                String.format("%.4f", expertCompute), Integer.toString(keptExperts));
    }

    private static String format(double value) {
        return Double.isNaN(value) ? "" : stripZeros(String.format("%.4f", value));
    }

    private static String stripZeros(String s) {
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
