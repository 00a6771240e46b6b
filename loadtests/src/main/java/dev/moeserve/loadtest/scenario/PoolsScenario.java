package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.engine.LevelResult;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.report.Figures;
import dev.moeserve.loadtest.report.ResultTable;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The full bundle (every expert, {@code topk}) against the reduced keep-0.5 bundle (half the experts,
 * {@code masked}), each served alone by a router in process with its experts in process.
 */
final class PoolsScenario implements Scenario {

    @Override
    public String name() {
        return "pools";
    }

    @Override
    public String summary() {
        return "full pool (topk) against the keep-0.5 pool (masked), experts in process";
    }

    @Override
    public BenchReport run(BenchContext context) {
        BenchReport report = context.newReport(name());
        ResultTable table = new ResultTable("Full pool against keep-0.5 pool",
                Sweeps.columns("pool", "policy", "experts", "expert weights", "protocol"));
        List<RequestBatch> batches = context.loadBatches();
        Map<String, Map<String, LevelResult>> byPool = new LinkedHashMap<>();
        try (InProcessRouter router = InProcessRouter.start(context.requireBundle(), null, List.of(),
                context.serveOptions())) {
            measurePool(context, router, "full", batches, table, report, byPool);
        }
        try (InProcessRouter router = InProcessRouter.withReducedExperts(context.requireBundle(), context.requirePool(),
                context.threads())) {
            measurePool(context, router, "keep-0.5", batches, table, report, byPool);
        }
        report.table(table);
        for (Protocol protocol : context.protocols()) {
            report.table(Sweeps.ratios("keep-0.5 relative to full (" + protocol.label() + ")", "keep-0.5",
                    byPool.get("keep-0.5 " + protocol.label()), "full", byPool.get("full " + protocol.label()),
                    protocol.label()));
        }
        return report;
    }

    private static void measurePool(BenchContext context, InProcessRouter router, String label,
                                    List<RequestBatch> batches, ResultTable table, BenchReport report,
                                    Map<String, Map<String, LevelResult>> byPool) {
        report.context(label + " pool: trunk and gates of " + BenchContext.describeBundle(router) + ", experts of "
                + (router.model().pool() == null ? "the same bundle"
                : BenchContext.describePool(Path.of(router.model().pool().source()))));
        String policy = router.policyTable().current().arms().get(0).name();
        String experts = Integer.toString(router.model().backend().experts().size());
        String weights = Figures.mebibytes(router.model().backend().weightBytes());
        for (Protocol protocol : context.protocols()) {
            try (InferenceClient client = context.client(protocol, router, batches, null)) {
                Map<String, LevelResult> results = Sweeps.measure(context, client, batches);
                Sweeps.addRows(table, List.of(label, policy, experts, weights, protocol.label()), results);
                byPool.put(label + " " + protocol.label(), results);
            }
        }
    }
}
