package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.engine.LevelResult;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.report.Figures;
import dev.moeserve.loadtest.report.ResultTable;
import dev.moeserve.pool.PoolOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keep-0.5 pool served with its experts in the router's process, against the same pool split over
 * two expert workers ({@code --shard 0/2} and {@code 1/2}) that the scenario starts in this process on
 * loopback and the router reaches over gRPC. Both routers serve the full bundle's trunk and gates with
 * {@code masked} routing over the pool, as docker-compose.yml deploys it.
 */
final class RemoteScenario implements Scenario {

    /** Workers the pool is split over. */
    static final int SHARDS = 2;

    @Override
    public String name() {
        return "remote";
    }

    @Override
    public String summary() {
        return "keep-0.5 pool in process against two remote expert workers on loopback (shards 0/2 and 1/2)";
    }

    @Override
    public BenchReport run(BenchContext context) {
        BenchReport report = context.newReport(name());
        ResultTable table = new ResultTable("In-process experts against remote workers",
                Sweeps.columns("experts", "expert weights", "protocol"));
        List<RequestBatch> batches = context.loadBatches();
        Path bundle = context.requireBundle();
        Path pool = context.requirePool();
        Map<String, Map<String, LevelResult>> byConfig = new LinkedHashMap<>();

        try (InProcessRouter router = InProcessRouter.withReducedExperts(bundle, pool, context.threads())) {
            report.context("trunk and gates of " + BenchContext.describeBundle(router) + ", experts of the reduced pool "
                    + BenchContext.describePool(pool) + ", policy " + router.policyTable().current().arms().get(0).name());
            measure(context, router, "in process", "in process",
                    Figures.mebibytes(router.model().backend().weightBytes()), batches, table, byConfig);
        }
        try (InProcessWorkers workers = InProcessWorkers.start(pool, SHARDS, PoolOptions.defaults());
             InProcessRouter router = InProcessRouter.start(bundle, pool, workers.addresses(),
                     context.serveOptions())) {
            report.context("workers: " + String.join(", ", workers.addresses()) + ", started in this process, each "
                    + "with the expert pool's default options");
            measure(context, router, "remote", SHARDS + " remote workers", Figures.mebibytes(workers.weightBytes()),
                    batches, table, byConfig);
        }
        report.table(table);
        for (Protocol protocol : context.protocols()) {
            report.table(Sweeps.ratios("Remote relative to in process (" + protocol.label() + ")", "remote",
                    byConfig.get("remote " + protocol.label()), "in process",
                    byConfig.get("in process " + protocol.label()), protocol.label()));
        }
        report.note("Router, workers and load generator share this machine's processors, so the remote figures "
                + "include the cost of gRPC on loopback but not of a network.");
        return report;
    }

    /** Measures every protocol and level; results go into {@code byConfig} under {@code key} and the protocol. */
    private static void measure(BenchContext context, InProcessRouter router, String key, String label,
                                String weights, List<RequestBatch> batches, ResultTable table,
                                Map<String, Map<String, LevelResult>> byConfig) {
        for (Protocol protocol : context.protocols()) {
            try (InferenceClient client = context.client(protocol, router, batches, null)) {
                Map<String, LevelResult> results = Sweeps.measure(context, client, batches);
                List<String> leading = new ArrayList<>(List.of(label, weights, protocol.label()));
                Sweeps.addRows(table, leading, results);
                byConfig.put(key + " " + protocol.label(), results);
            }
        }
    }
}
