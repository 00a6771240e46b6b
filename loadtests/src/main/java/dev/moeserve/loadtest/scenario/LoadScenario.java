package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.report.ResultTable;

import java.util.List;

/**
 * The plain load generator: a sweep of load levels against one router, either one already running
 * ({@code --target}) or one started in process over {@code --bundle}.
 */
final class LoadScenario implements Scenario {

    @Override
    public String name() {
        return "load";
    }

    @Override
    public String summary() {
        return "sweep the load levels against --target, or against a router started over --bundle";
    }

    @Override
    public BenchReport run(BenchContext context) {
        BenchReport report = context.newReport(name());
        ResultTable table = new ResultTable("Load sweep", Sweeps.columns("protocol"));
        List<RequestBatch> batches = context.loadBatches();
        if (context.target() != null) {
            report.context("target: router already running at " + context.target()
                    + (context.grpcTarget() == null ? "" : " (gRPC " + context.grpcTarget() + ")")
                    + ", model " + context.model());
            for (Protocol protocol : context.protocols()) {
                try (InferenceClient client = context.client(protocol, context.target(), context.grpcTarget(),
                        context.model(), batches, null)) {
                    Sweeps.addRows(table, List.of(protocol.label()), Sweeps.measure(context, client, batches));
                }
            }
            return report.table(table);
        }
        try (InProcessRouter router = InProcessRouter.start(context.requireBundle(), null, List.of(),
                context.serveOptions())) {
            report.context("router in process over " + BenchContext.describeBundle(router) + ", policy "
                    + router.policyTable().current().arms().get(0).name());
            for (Protocol protocol : context.protocols()) {
                try (InferenceClient client = context.client(protocol, router, batches, null)) {
                    Sweeps.addRows(table, List.of(protocol.label()), Sweeps.measure(context, client, batches));
                }
            }
        }
        return report.table(table);
    }
}
