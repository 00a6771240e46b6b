package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.PipelineClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.engine.LevelResult;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.report.ResultTable;

import java.util.List;
import java.util.Map;

/**
 * The reference the service is compared with: {@code MoePipeline} called directly in a loop, at the same
 * batch size and concurrency, on the same bundle and policy as the router's default. The ratio of the
 * router's figures to these is the cost of the service: protocol, decoding, admission, policy table and
 * metrics.
 */
final class BareScenario implements Scenario {

    @Override
    public String name() {
        return "bare";
    }

    @Override
    public String summary() {
        return "MoePipeline called directly in a loop, then the router at the same load; prints the ratios";
    }

    @Override
    public BenchReport run(BenchContext context) {
        BenchReport report = context.newReport(name());
        ResultTable table = new ResultTable("Bare pipeline against the service", Sweeps.columns("path"));
        List<RequestBatch> batches = context.loadBatches();

        Map<String, LevelResult> bare;
        try (BarePipeline pipeline = BarePipeline.load(context.requireBundle(), context.threads());
             InferenceClient client = new PipelineClient(pipeline.pipeline(), pipeline.policy(), batches,
                     context.runner().settings().requestTimeout())) {
            report.context("bare: " + client.describe() + ", " + context.threads() + " pipeline threads");
            bare = Sweeps.measure(context, client, batches);
            Sweeps.addRows(table, List.of("bare pipeline"), bare);
        }

        try (InProcessRouter router = InProcessRouter.start(context.requireBundle(), null, List.of(),
                context.serveOptions())) {
            report.context("service: router in process over " + BenchContext.describeBundle(router) + ", policy "
                    + router.policyTable().current().arms().get(0).name() + ", " + context.threads()
                    + " inference threads");
            report.table(table);
            for (Protocol protocol : context.protocols()) {
                Map<String, LevelResult> service;
                try (InferenceClient client = context.client(protocol, router, batches, null)) {
                    service = Sweeps.measure(context, client, batches);
                }
                Sweeps.addRows(table, List.of("service " + protocol.label()), service);
                report.table(Sweeps.ratios("Service relative to bare (" + protocol.label() + ")", "service", service,
                        "bare", bare, protocol.label()));
            }
        }
        report.note("A throughput ratio below 1 and a p50 ratio above 1 are the overhead of the service; both paths "
                + "run on this machine's processors together with the load generator.");
        return report;
    }
}
