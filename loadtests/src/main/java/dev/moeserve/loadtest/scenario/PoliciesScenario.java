package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.engine.LevelResult;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.report.Figures;
import dev.moeserve.loadtest.report.ResultTable;
import dev.moeserve.router.policy.PolicyConfigException;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.ServingPolicy;
import dev.moeserve.router.policy.TableSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Each routing policy alone on one router that runs every expert in process and routes with the keep-0.5
 * pool. The table is swapped between policies at runtime, as the admin API swaps it.
 */
final class PoliciesScenario implements Scenario {

    @Override
    public String name() {
        return "policies";
    }

    @Override
    public String summary() {
        return "topk, masked, agf-prior and cascade, one at a time, on one router (full bundle, keep-0.5 pool)";
    }

    @Override
    public BenchReport run(BenchContext context) {
        BenchReport report = context.newReport(name());
        ResultTable table = new ResultTable("Routing policies",
                Sweeps.columns("policy", "pool size per layer", "escalated images", "protocol"));
        List<RequestBatch> batches = context.loadBatches();
        try (InProcessRouter router = InProcessRouter.start(context.requireBundle(), context.requirePool(), List.of(),
                context.serveOptions())) {
            report.context("router in process over " + BenchContext.describeBundle(router) + ", reduced pool "
                    + BenchContext.describePool(context.pool()));
            for (PolicySpec spec : PolicyChoices.all(context)) {
                try {
                    router.install(TableSpec.single(spec));
                } catch (PolicyConfigException e) {
                    report.note("Skipped " + PolicyChoices.describe(spec) + ": " + e.getMessage());
                    continue;
                }
                ServingPolicy policy = router.policyTable().current().arms().get(0).policy();
                for (Protocol protocol : context.protocols()) {
                    double imagesBefore = RouterCounters.sum(router.registry(), RouterCounters.IMAGES, "policy",
                            policy.name());
                    double escalatedBefore = RouterCounters.sum(router.registry(), RouterCounters.ESCALATIONS, "policy",
                            policy.name());
                    Map<String, LevelResult> results;
                    try (InferenceClient client = context.client(protocol, router, batches, null)) {
                        results = Sweeps.measure(context, client, batches);
                    }
                    double images = RouterCounters.sum(router.registry(), RouterCounters.IMAGES, "policy",
                            policy.name()) - imagesBefore;
                    double escalated = RouterCounters.sum(router.registry(), RouterCounters.ESCALATIONS, "policy",
                            policy.name()) - escalatedBefore;
                    String escalatedShare = PolicySpec.CASCADE.equals(policy.kind()) && images > 0
                            ? Figures.percent(escalated / images) : "-";
                    Sweeps.addRows(table, List.of(PolicyChoices.describe(spec), poolSizes(policy, router),
                            escalatedShare, protocol.label()), results);
                }
            }
        }
        report.table(table);
        report.note("Escalated images: share of the images a cascade served again with the full pool, counted by the "
                + "router over the whole level, warm-up included.");
        return report;
    }

    private static String poolSizes(ServingPolicy policy, InProcessRouter router) {
        List<String> sizes = new ArrayList<>();
        for (int layer = 0; layer < router.model().manifest().layers().size(); layer++) {
            sizes.add(Integer.toString(policy.poolSize(layer)));
        }
        return String.join("/", sizes);
    }
}
