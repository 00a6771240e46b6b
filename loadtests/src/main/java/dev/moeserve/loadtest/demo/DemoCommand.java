package dev.moeserve.loadtest.demo;

import dev.moeserve.loadtest.client.ClientOptions;
import dev.moeserve.loadtest.client.Endpoint;
import dev.moeserve.loadtest.client.GrpcInferenceClient;
import dev.moeserve.loadtest.client.HttpInferenceClient;
import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.model.ProjectHome;
import dev.moeserve.pool.cli.Termination;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.profiler.cli.ProfilerCli;
import dev.moeserve.profiler.report.ServedAccuracy;
import dev.moeserve.router.inference.Policies;
import dev.moeserve.router.policy.PolicyFiles;
import dev.moeserve.router.server.RouterOptions;
import dev.moeserve.router.server.RouterServer;
import dev.moeserve.router.serving.ServingModel;
import io.vertx.core.Vertx;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code moe demo}: profiles the committed model (or reuses its up-to-date profile), writes the keep-0.5
 * pool, starts the router on loopback with an A/B table, replays the Fashion-MNIST test images through
 * the real HTTP endpoint (a share through gRPC) and prints what it measured.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Profile, serve and replay Fashion-MNIST through the reduced pool, end to end on loopback.")
public final class DemoCommand implements Callable<Integer> {

    /** The A/B table of the demo: agf-prior on 90% of callers, masked on 10%, topk as shadow. */
    static final String POLICIES = """
            {"arms": [{"policy": "agf-prior", "beta": 0.5, "weight": 90},
                      {"policy": "masked", "weight": 10}],
             "shadow": {"policy": "topk"},
             "stickyHeader": "x-user-id"}
            """;

    @Option(names = "--bundle", description = "Full bundle (default: ${DEFAULT-VALUE}).")
    Path bundlePath = ProjectHome.path("models/fashion-vit-moe");

    @Option(names = "--limit", description = "Replay only the first N test images (default: all 10,000).")
    int limit = 10_000;

    @Option(names = "--batch", description = "Images per request (default: ${DEFAULT-VALUE}).")
    int batch = 8;

    @Option(names = "--concurrency", description = "Requests in flight (default: ${DEFAULT-VALUE}).")
    int concurrency = 8;

    @Option(names = "--grpc-share", description = "Share of requests sent over gRPC (default: ${DEFAULT-VALUE}).")
    double grpcShare = 0.1;

    @Option(names = "--http-port", description = "Router HTTP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int httpPort = RouterOptions.DEFAULT_HTTP_PORT;

    @Option(names = "--grpc-port", description = "Router gRPC port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int grpcPort = RouterOptions.DEFAULT_GRPC_PORT;

    @Option(names = "--out", description = "Folder for the reduced pool (default: ${DEFAULT-VALUE}).")
    Path out = ProjectHome.path("out/demo");

    @Option(names = "--serve", description = "Keep serving after the replay until the process is stopped.")
    boolean serve;

    private final PrintStream console = System.out;

    /** The replay of the last run, for tests. */
    private Replay lastReplay;

    Replay lastReplay() {
        return lastReplay;
    }

    @Override
    public Integer call() throws Exception {
        validate();
        FashionMnist.Split test = FashionMnist.readTest(ProjectHome.path("data/fashion-mnist"));
        Path pool = out.resolve("fashion-vit-moe-keep50");

        console.println("== 1. Profile: AGF and baseline scores, keep-0.5 pool");
        int profiled = ProfilerCli.commandLine().execute("profile", "--bundle", bundlePath.toString(), "--reuse",
                "--keep", "0.5", "--pool-out", pool.toString());
        if (profiled != 0) {
            console.println("demo: profiling failed, see above");
            return profiled;
        }

        console.println("\n== 2. Full model through the in-process pipeline (topk), for reference");
        Bundle full = Bundle.open(bundlePath);
        double fullAccuracy;
        try (ServedAccuracy served = new ServedAccuracy(full)) {
            fullAccuracy = served.run(test, limit, Policies.topK()).accuracy();
        }
        console.printf("full model: %.2f%% on %d test images%n", fullAccuracy * 100, limit);

        console.println("\n== 3. Router on loopback with the A/B table (agf-prior 90%, masked 10%, topk shadow)");
        RouterOptions options = RouterOptions.builder().host("127.0.0.1").httpPort(httpPort).grpcPort(grpcPort)
                .initialTable(PolicyFiles.parseJson(POLICIES.getBytes(StandardCharsets.UTF_8), "demo table"))
                .build();
        Vertx vertx = Vertx.vertx();
        try (ServingModel model = ServingModel.load(bundlePath, pool);
             RouterServer server = RouterServer.start(model, options)) {
            console.printf("serving %s on http://127.0.0.1:%d and grpc 127.0.0.1:%d%n", model.name(),
                    server.httpPort(), server.grpcPort());

            console.println("\n== 4. Replay of the test images");
            Replay replay = replay(vertx, server, model.name(), test);
            lastReplay = replay;

            console.println("\n== 5. Results (all measured in this run)");
            DemoSummary summary = new DemoSummary(console);
            summary.accuracy(fullAccuracy, replay);
            summary.expertUsage(server.registry(), model.manifest().layers().size(),
                    model.manifest().layer(0).experts());
            summary.latency(replay);
            summary.memory(full.manifest(), Bundle.open(pool).manifest(), model.backend().weightBytes());
            summary.urls(server.httpPort(), model.name(), writeOneImage(test));

            if (serve) {
                console.println("\nServing until the process is stopped (Ctrl-C).");
                Termination.install("moe-demo", server::close).awaitStop();
            }
        } finally {
            vertx.close();
        }
        return 0;
    }

    /** Writes a KServe v2 infer request with the first test image, for the printed curl line. */
    private Path writeOneImage(FashionMnist.Split test) throws java.io.IOException {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < FashionMnist.PIXELS; i++) {
            data.append(i == 0 ? "" : ",").append(test.images()[i] & 0xFF);
        }
        String body = "{\"id\": \"first-test-image\", \"inputs\": [{\"name\": \"images\", \"datatype\": \"UINT8\","
                + " \"shape\": [1, 784], \"data\": [" + data + "]}], \"outputs\": [{\"name\": \"label\"},"
                + " {\"name\": \"probabilities\"}]}\n";
        Path file = out.toAbsolutePath().resolve("one-image.json");
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.writeString(file, body);
        return file;
    }

    private void validate() {
        if (limit < 1 || limit > 10_000) {
            throw new IllegalArgumentException("--limit must be between 1 and 10000, got " + limit);
        }
        if (batch < 1 || batch > RouterOptions.DEFAULT_MAX_BATCH) {
            throw new IllegalArgumentException("--batch must be between 1 and " + RouterOptions.DEFAULT_MAX_BATCH
                    + ", got " + batch);
        }
        if (concurrency < 1 || concurrency > 256) {
            throw new IllegalArgumentException("--concurrency must be between 1 and 256, got " + concurrency);
        }
        if (!(grpcShare >= 0 && grpcShare <= 1)) {
            throw new IllegalArgumentException("--grpc-share must be between 0 and 1, got " + grpcShare);
        }
    }

    private Replay replay(Vertx vertx, RouterServer server, String modelName, FashionMnist.Split test) {
        List<RequestBatch> batches = new ArrayList<>();
        for (int from = 0; from < limit; from += batch) {
            int size = Math.min(batch, limit - from);
            byte[] pixels = new byte[size * FashionMnist.PIXELS];
            System.arraycopy(test.images(), from * FashionMnist.PIXELS, pixels, 0, pixels.length);
            int[] labels = new int[size];
            for (int i = 0; i < size; i++) {
                labels[i] = test.label(from + i);
            }
            batches.add(new RequestBatch(pixels, labels, size));
        }
        // At least one request goes over gRPC when a share is asked for and there is more than one request.
        int grpcCount = (int) Math.round(batches.size() * grpcShare);
        if (grpcShare > 0 && grpcCount == 0 && batches.size() > 1) {
            grpcCount = 1;
        }
        List<RequestBatch> overHttp = batches.subList(0, batches.size() - grpcCount);
        List<RequestBatch> overGrpc = batches.subList(batches.size() - grpcCount, batches.size());
        ClientOptions clientOptions = new ClientOptions(modelName, concurrency, java.time.Duration.ofSeconds(30),
                "x-user-id");
        Replay replay = new Replay(console, batches.size());
        try (InferenceClient http = HttpInferenceClient.connect(vertx, new Endpoint("127.0.0.1", server.httpPort()),
                clientOptions, overHttp)) {
            replay.run(http, overHttp, 0, concurrency);
        }
        if (!overGrpc.isEmpty()) {
            try (InferenceClient grpc = GrpcInferenceClient.connect(vertx,
                    new Endpoint("127.0.0.1", server.grpcPort()), clientOptions, overGrpc)) {
                replay.run(grpc, overGrpc, overHttp.size(), concurrency);
            }
        }
        replay.finish();
        return replay;
    }
}
