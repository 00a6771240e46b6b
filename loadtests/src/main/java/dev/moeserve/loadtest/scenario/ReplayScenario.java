package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.engine.LevelResult;
import dev.moeserve.loadtest.engine.RequestPlan;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.report.Figures;
import dev.moeserve.loadtest.report.ResultTable;
import dev.moeserve.router.policy.PolicyConfigException;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.TableSpec;

import java.util.List;
import java.util.Locale;

/**
 * The Fashion-MNIST test images sent once through the router under each policy: the accuracy that the
 * service delivers, with the throughput and latency of the replay.
 */
final class ReplayScenario implements Scenario {

    @Override
    public String name() {
        return "replay";
    }

    @Override
    public String summary() {
        return "replay --images test images through the router under each policy; accuracy per policy";
    }

    @Override
    public BenchReport run(BenchContext context) {
        BenchReport report = context.newReport(name());
        ResultTable table = new ResultTable("Accuracy served per policy", List.of("policy", "protocol", "images",
                "accuracy", "escalated images", "req/s", "images/s", "p50 ms", "p99 ms", "errors", "error kinds",
                "complete"));
        List<RequestBatch> batches = context.replayBatches();
        int concurrency = Replays.concurrency(context);
        try (InProcessRouter router = InProcessRouter.start(context.requireBundle(), context.requirePool(), List.of(),
                context.serveOptions())) {
            report.context("router in process over " + BenchContext.describeBundle(router) + ", reduced pool "
                    + BenchContext.describePool(context.pool()));
            report.context(String.format(Locale.ROOT, "replay: the first %d test images, each sent once, %d callers at "
                    + "a time, at most %d s per policy, after a warm-up of %d ms that is not counted",
                    context.replayImages(), concurrency, context.replayLimit().toSeconds(),
                    context.runner().settings().warmup().toMillis()));
            for (PolicySpec spec : PolicyChoices.all(context)) {
                try {
                    router.install(TableSpec.single(spec));
                } catch (PolicyConfigException e) {
                    report.note("Skipped " + PolicyChoices.describe(spec) + ": " + e.getMessage());
                    continue;
                }
                String name = spec.effectiveName();
                for (Protocol protocol : context.protocols()) {
                    LevelResult result;
                    double escalated;
                    try (InferenceClient client = context.client(protocol, router, batches, null)) {
                        context.runner().warmUp(client, RequestPlan.cycling(batches.size()), concurrency, batches);
                        double escalatedBefore = RouterCounters.sum(router.registry(), RouterCounters.ESCALATIONS,
                                "policy", name);
                        result = context.runner().replay(client, RequestPlan.once(batches.size()), concurrency,
                                batches, context.replayLimit());
                        escalated = RouterCounters.sum(router.registry(), RouterCounters.ESCALATIONS, "policy", name)
                                - escalatedBefore;
                    }
                    long images = result.measured().images();
                    table.add(List.of(PolicyChoices.describe(spec), protocol.label(), Long.toString(images),
                            Figures.percent(result.accuracy()),
                            PolicySpec.CASCADE.equals(spec.policy()) && images > 0
                                    ? Figures.percent(escalated / images) : "-",
                            Figures.decimal(result.throughput(), 1), Figures.decimal(result.imagesPerSecond(), 1),
                            Figures.decimal(result.latencyMillis(50), 2), Figures.decimal(result.latencyMillis(99), 2),
                            Long.toString(result.measured().errorCount()),
                            Figures.errorKinds(result.measured().errors()),
                            images == context.replayImages() ? "yes" : "no"));
                }
            }
        }
        return report.table(table);
    }
}
