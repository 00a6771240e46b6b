package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.ClientOptions;
import dev.moeserve.loadtest.client.Endpoint;
import dev.moeserve.loadtest.client.GrpcInferenceClient;
import dev.moeserve.loadtest.client.HttpInferenceClient;
import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.engine.LoadLevel;
import dev.moeserve.loadtest.engine.LoadMode;
import dev.moeserve.loadtest.engine.LoadRunner;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.report.Machine;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.model.bundle.ReducedFrom;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything a scenario needs, resolved from the command line: the runner and its settings, the load
 * levels and protocols, the bundles, the images, and a Vert.x instance for the clients. The scenario
 * starts and stops its own routers and workers.
 *
 * @param runner        measures one level
 * @param levels        load points to measure for each configuration
 * @param protocols     protocols to measure for each configuration
 * @param batchSize     images per request
 * @param loadImages    test images that measured requests cycle through
 * @param replayImages  test images a replay sends, each once
 * @param replayLimit   time after which one replay pass stops even when images are left
 * @param bundle        the full bundle
 * @param pool          the reduced (keep-0.5) bundle cut from it
 * @param dataDir       folder of the Fashion-MNIST test split
 * @param beta          beta of the {@code agf-prior} policy
 * @param tau           tau of the {@code cascade} policy
 * @param users         simulated callers whose ids keep them on one A/B arm
 * @param threads       inference threads of every router started and of the bare pipeline
 * @param serveOptions  extra {@code moe serve} options for every router started, such as {@code --threads 2}
 * @param target        HTTP endpoint of a running router for the {@code load} scenario, or null to start one
 * @param grpcTarget    gRPC endpoint of that router, or null
 * @param model         model name to send to when {@code target} is set
 * @param vertx         Vert.x instance of the clients
 * @param command       the command line, for the report
 */
public record BenchContext(LoadRunner runner, List<LoadLevel> levels, List<Protocol> protocols, int batchSize,
                           int loadImages, int replayImages, Duration replayLimit, Path bundle, Path pool,
                           Path dataDir, double beta, double tau, int users, int threads, List<String> serveOptions,
                           Endpoint target, Endpoint grpcTarget, String model, Vertx vertx, String command) {

    /** Header that keeps a caller on one A/B arm in the {@code ab} scenario. */
    public static final String STICKY_HEADER = "x-user-id";

    /** Open-loop levels open at most this many HTTP connections. */
    private static final int MAX_OPEN_LOOP_CONNECTIONS = 256;

    /** Returns the batches that measured requests cycle through. */
    public List<RequestBatch> loadBatches() {
        return TestImages.batches(dataDir, batchSize, loadImages);
    }

    /** Returns the batches of a replay, each sent once. */
    public List<RequestBatch> replayBatches() {
        return TestImages.batches(dataDir, batchSize, replayImages);
    }

    /** Returns the full bundle, after checking that it exists. */
    public Path requireBundle() {
        return requireDirectory(bundle, "--bundle", "./moe train");
    }

    /** Returns the reduced bundle, after checking that it exists. */
    public Path requirePool() {
        return requireDirectory(pool, "--pool", "./moe profile --keep 0.5");
    }

    /** Opens a client of {@code router} over {@code protocol}. */
    public InferenceClient client(Protocol protocol, InProcessRouter router, List<RequestBatch> batches,
                                  String stickyHeader) {
        return client(protocol, router.http(), router.grpc(), router.model().name(), batches, stickyHeader);
    }

    /** Opens a client of the router at {@code http} or {@code grpc}, whichever {@code protocol} uses. */
    public InferenceClient client(Protocol protocol, Endpoint http, Endpoint grpc, String modelName,
                                  List<RequestBatch> batches, String stickyHeader) {
        ClientOptions options = new ClientOptions(modelName, connections(), runner.settings().requestTimeout(),
                stickyHeader);
        if (protocol == Protocol.HTTP) {
            return HttpInferenceClient.connect(vertx, http, options, batches);
        }
        if (grpc == null) {
            throw new IllegalArgumentException("--protocol grpc needs the router's gRPC port; pass --grpc-target");
        }
        return GrpcInferenceClient.connect(vertx, grpc, options, batches);
    }

    /** Starts a report of {@code scenario} with the common context lines. */
    public BenchReport newReport(String scenario) {
        BenchReport report = new BenchReport(scenario, ZonedDateTime.now(), Machine.current(), command);
        report.context(String.format(Locale.ROOT, "load: %s; warm-up %d ms, windows of %d ms, stable when the last %d "
                        + "windows agree within %.0f%% on throughput and p50, at most %d windows",
                levelsText(), runner.settings().warmup().toMillis(), runner.settings().window().toMillis(),
                runner.settings().stableWindows(), runner.settings().tolerance() * 100,
                runner.settings().maxWindows()));
        report.context("requests: " + batchSize + " images each (UINT8), only the label output requested");
        return report;
    }

    /** Describes a bundle for a report: folder, name, version and its recorded accuracy. */
    public static String describeBundle(InProcessRouter router) {
        var manifest = router.model().manifest();
        return String.format(Locale.ROOT, "%s (%s version %s, accuracy %.2f%% on %d %s images as recorded in the "
                        + "manifest)", router.model().bundle().directory(), manifest.name(), manifest.version(),
                manifest.accuracy().value() * 100, manifest.accuracy().images(), manifest.accuracy().split());
    }

    /** Describes a reduced bundle for a report: folder, name, version, pool size, how it was cut, accuracy. */
    public static String describePool(Path poolDir) {
        Manifest manifest = Bundle.open(poolDir).manifest();
        int keptExperts = 0;
        int totalExperts = 0;
        for (MoeLayerSpec layer : manifest.layers()) {
            keptExperts += layer.expertFiles().size();
            totalExperts += layer.experts();
        }
        ReducedFrom origin = manifest.reducedFrom();
        String cut = origin == null ? "no reducedFrom recorded" : String.format(Locale.ROOT,
                "cut from %s version %s by score %s, keep ratio %s, budget %s", origin.name(), origin.version(),
                origin.score(), origin.keepRatio(), origin.budget());
        return String.format(Locale.ROOT, "%s (%s version %s, %d of %d experts, %s; accuracy %.2f%% on %d images, "
                        + "%s, as recorded in the manifest)", poolDir, manifest.name(), manifest.version(), keptExperts, totalExperts,
                cut, manifest.accuracy().value() * 100, manifest.accuracy().images(), manifest.accuracy().split());
    }

    private String levelsText() {
        List<String> labels = new ArrayList<>();
        levels.forEach(level -> labels.add(level.label()));
        return (levels.get(0).mode() == LoadMode.CLOSED ? "closed loop " : "open loop ") + String.join(", ", labels);
    }

    private int connections() {
        int maxConnections = 1;
        for (LoadLevel level : levels) {
            maxConnections = Math.max(maxConnections,
                    level.mode() == LoadMode.CLOSED ? level.concurrency() : MAX_OPEN_LOOP_CONNECTIONS);
        }
        return maxConnections;
    }

    private static Path requireDirectory(Path dir, String option, String howToMake) {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("bundle folder " + dir + " not found; pass " + option
                    + " or create it with " + howToMake);
        }
        return dir;
    }
}
