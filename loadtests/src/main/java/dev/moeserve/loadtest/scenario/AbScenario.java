package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.engine.LevelResult;
import dev.moeserve.loadtest.engine.RequestPlan;
import dev.moeserve.loadtest.engine.WindowSnapshot.PolicyWindow;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.report.Figures;
import dev.moeserve.loadtest.report.ResultTable;
import dev.moeserve.loadtest.report.TwoProportionTest;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.TableSpec;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * An A/B test: {@code agf-prior} and {@code masked} split the traffic 50/50, callers stay on one arm
 * through the {@code x-user-id} header, and {@code topk} shadows every request. Each test image is sent
 * once, so the accuracy of the two arms can be compared with a two-proportion z-test.
 */
final class AbScenario implements Scenario {

    /** Seed of the simulated user ids, fixed so that reruns split the images the same way. */
    private static final long USER_SEED = 42;

    @Override
    public String name() {
        return "ab";
    }

    @Override
    public String summary() {
        return "A/B table: agf-prior against masked 50/50, sticky by x-user-id, topk as shadow; accuracy per arm";
    }

    @Override
    public BenchReport run(BenchContext context) {
        BenchReport report = context.newReport(name());
        PolicySpec armA = PolicyChoices.agfPrior(context).withWeight(50);
        PolicySpec armB = PolicySpec.of(PolicySpec.MASKED).withWeight(50);
        TableSpec table = new TableSpec(List.of(armA, armB), PolicySpec.of(PolicySpec.TOPK),
                BenchContext.STICKY_HEADER);
        List<RequestBatch> batches = context.replayBatches();
        Protocol protocol = context.protocols().get(0);
        int concurrency = Replays.concurrency(context);

        try (InProcessRouter router = InProcessRouter.start(context.requireBundle(), context.requirePool(), List.of(),
                context.serveOptions())) {
            router.install(table);
            report.context("router in process over " + BenchContext.describeBundle(router) + ", reduced pool "
                    + BenchContext.describePool(context.pool()));
            report.context(String.format(Locale.ROOT, "table: %s; %d test images sent once over %s by %d callers "
                            + "at a time, as %d simulated users", PolicyChoices.describe(armA) + " weight 50, masked "
                            + "weight 50, shadow topk, sticky header " + BenchContext.STICKY_HEADER,
                    context.replayImages(), protocol.label(), concurrency, context.users()));

            LevelResult result;
            ShadowCounts before;
            try (InferenceClient client = context.client(protocol, router, batches, BenchContext.STICKY_HEADER)) {
                context.runner().warmUp(client, RequestPlan.cycling(batches.size()), concurrency, batches);
                before = ShadowCounts.read(router, List.of(armA, armB));
                RequestPlan plan = RequestPlan.once(batches.size(), context.users(), USER_SEED);
                result = context.runner().replay(client, plan, concurrency, batches, context.replayLimit());
            }
            ShadowCounts after = ShadowCounts.settled(router, List.of(armA, armB));
            report.table(armTable(result, after.minus(before), List.of(armA, armB)));
            report.note(significance(result.policies(), armA.effectiveName(), armB.effectiveName()));
        }
        return report;
    }

    private static ResultTable armTable(LevelResult result, ShadowCounts shadow, List<PolicySpec> arms) {
        ResultTable table = new ResultTable("A/B arms", List.of("arm", "policy", "weight", "requests",
                "share of requests", "images", "accuracy", "p50 ms", "p99 ms", "errors", "agreement with shadow topk"));
        long total = result.policies().values().stream().mapToLong(figures -> figures.latency().getTotalCount()).sum();
        for (PolicySpec arm : arms) {
            String name = arm.effectiveName();
            PolicyWindow figures = result.policies().get(name);
            double agree = shadow.agreed().getOrDefault(name, 0.0);
            double shadowed = shadow.compared().getOrDefault(name, 0.0);
            if (figures == null) {
                table.add(List.of(name, PolicyChoices.describe(arm), Figures.decimal(arm.weight(), 0), "0", "-", "0",
                        "-", "-", "-", "0", "-"));
                continue;
            }
            long requests = figures.latency().getTotalCount();
            table.add(List.of(name, PolicyChoices.describe(arm), Figures.decimal(arm.weight(), 0),
                    Long.toString(requests), total == 0 ? "-" : Figures.percent((double) requests / total),
                    Long.toString(figures.images()),
                    figures.labelled() == 0 ? "-" : Figures.percent((double) figures.correct() / figures.labelled()),
                    Figures.decimal(LevelResult.percentileMillis(figures.latency(), 50), 2),
                    Figures.decimal(LevelResult.percentileMillis(figures.latency(), 99), 2),
                    Long.toString(figures.errors()),
                    shadowed == 0 ? "-" : Figures.percent(agree / shadowed)));
        }
        return table;
    }

    /**
     * Images the shadow compared per arm, and those on which it agreed, as counted by the router.
     *
     * @param agreed   images whose shadow label equalled the served label, by arm name
     * @param compared images the shadow served, by arm name
     */
    private record ShadowCounts(Map<String, Double> agreed, Map<String, Double> compared) {

        static final long SETTLE_MILLIS = 5000;
        static final long SETTLE_POLL_MILLIS = 200;

        static ShadowCounts read(InProcessRouter router, List<PolicySpec> arms) {
            Map<String, Double> agreed = new HashMap<>();
            Map<String, Double> compared = new HashMap<>();
            for (PolicySpec arm : arms) {
                String name = arm.effectiveName();
                agreed.put(name, RouterCounters.sum(router.registry(), RouterCounters.SHADOW_IMAGES, "policy", name,
                        "agreement", "agree"));
                compared.put(name, RouterCounters.sum(router.registry(), RouterCounters.SHADOW_IMAGES, "policy", name));
            }
            return new ShadowCounts(agreed, compared);
        }

        /**
         * Reads the counts once they stop changing, because shadow runs finish after the response is sent;
         * waits at most {@value #SETTLE_MILLIS} ms.
         */
        static ShadowCounts settled(InProcessRouter router, List<PolicySpec> arms) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS);
            ShadowCounts last = read(router, arms);
            while (System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SETTLE_POLL_MILLIS));
                ShadowCounts next = read(router, arms);
                if (next.equals(last)) {
                    return next;
                }
                last = next;
            }
            return last;
        }

        ShadowCounts minus(ShadowCounts earlier) {
            Map<String, Double> agreedSince = new HashMap<>();
            Map<String, Double> comparedSince = new HashMap<>();
            agreed.forEach((name, count) -> agreedSince.put(name, count - earlier.agreed.getOrDefault(name, 0.0)));
            compared.forEach((name, count) -> comparedSince.put(name, count - earlier.compared.getOrDefault(name, 0.0)));
            return new ShadowCounts(agreedSince, comparedSince);
        }
    }

    private static String significance(Map<String, PolicyWindow> policies, String nameA, String nameB) {
        PolicyWindow a = policies.get(nameA);
        PolicyWindow b = policies.get(nameB);
        if (a == null || b == null) {
            return "No significance test: one arm served no request.";
        }
        TwoProportionTest test = TwoProportionTest.of(a.correct(), a.labelled(), b.correct(), b.labelled());
        return String.format(Locale.ROOT, "Accuracy %s minus %s: %s points; two-proportion z-test z = %s, two-sided "
                        + "p = %s (distinct images, each served once by one arm).", nameA, nameB,
                Figures.decimal(test.difference() * 100, 2), Figures.decimal(test.z(), 2),
                Figures.decimal(test.pValue(), 4));
    }
}
