package dev.moeserve.profiler.report;

import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.profiler.agf.PoolSelector;
import dev.moeserve.profiler.agf.Score;
import dev.moeserve.profiler.agf.UtilityProfile;
import dev.moeserve.router.inference.Policies;
import dev.moeserve.router.inference.RoutingPolicy;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the grid of one bundle: the full model, then every score x keep ratio x budget under
 * {@code masked} and {@code agf-prior} (each beta), then {@code cascade} (each tau) for the cascade score.
 */
public final class Evaluation {

    /** The grid to evaluate. */
    public record Grid(List<String> scores, List<Double> keeps, List<PoolSelector.Budget> budgets,
                       List<Double> betas, List<Double> taus, String cascadeScore, int images) {
    }

    private Evaluation() {
    }

    public static List<ReportRow> run(String bundleName, Manifest manifest, UtilityProfile profile,
                                      ServedAccuracy served, FashionMnist.Split test, Grid grid, PrintStream out) {
        int experts = manifest.layer(0).experts();
        int topK = manifest.layer(0).topK();
        int total = manifest.layers().size() * experts;
        List<ReportRow> rows = new ArrayList<>();
        RoutingPolicy topk = Policies.topK();
        ServedAccuracy.Outcome full = served.run(test, grid.images(), topk);
        rows.add(new ReportRow(bundleName, "full", 1.0, "", "topk", Double.NaN, Double.NaN, full.accuracy(), 0, 1,
                total));
        print(out, rows.get(rows.size() - 1));

        for (String score : grid.scores()) {
            double[][] scores = profile.scores(score);
            for (double keep : grid.keeps()) {
                for (PoolSelector.Budget budget : grid.budgets()) {
                    List<List<Integer>> pools = PoolSelector.select(scores, keep, budget, topK,
                            Score.parse(score).sharedScale());
                    int kept = pools.stream().mapToInt(List::size).sum();
                    RoutingPolicy masked = Policies.masked("masked", pools, experts);
                    ServedAccuracy.Outcome m = served.run(test, grid.images(), masked);
                    rows.add(new ReportRow(bundleName, score, keep, budget.id(), "masked", Double.NaN, Double.NaN,
                            m.accuracy(), 0, 1, kept));
                    print(out, rows.get(rows.size() - 1));
                    List<double[]> priors = PoolSelector.priors(scores, pools);
                    for (double beta : grid.betas()) {
                        RoutingPolicy prior = Policies.agfPrior("agf-prior", pools, priors, beta, experts);
                        ServedAccuracy.Outcome p = served.run(test, grid.images(), prior);
                        rows.add(new ReportRow(bundleName, score, keep, budget.id(), "agf-prior", beta, Double.NaN,
                                p.accuracy(), 0, 1, kept));
                        print(out, rows.get(rows.size() - 1));
                    }
                    if (score.equals(grid.cascadeScore())) {
                        for (double tau : grid.taus()) {
                            ServedAccuracy.Outcome c = served.runCascade(test, grid.images(), masked, topk, tau);
                            rows.add(new ReportRow(bundleName, score, keep, budget.id(), "cascade", Double.NaN, tau,
                                    c.accuracy(), c.escalationRate(), 1 + c.escalationRate(), kept));
                            print(out, rows.get(rows.size() - 1));
                        }
                    }
                }
            }
        }
        return rows;
    }

    private static void print(PrintStream out, ReportRow r) {
        if (out != null) {
            out.printf("  %-14s keep %.2f %-9s %-9s%s%s  accuracy %.2f%%%s%n", r.score(), r.keepRatio(), r.budget(),
                    r.policy(), Double.isNaN(r.beta()) ? "" : " beta " + r.beta(),
                    Double.isNaN(r.tau()) ? "" : " tau " + r.tau(), r.accuracy() * 100,
                    r.policy().equals("cascade") ? String.format("  escalated %.1f%%", r.escalationRate() * 100) : "");
        }
    }
}
