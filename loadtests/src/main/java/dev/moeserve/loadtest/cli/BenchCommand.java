package dev.moeserve.loadtest.cli;

import dev.moeserve.loadtest.client.Endpoint;
import dev.moeserve.loadtest.engine.Arrival;
import dev.moeserve.loadtest.engine.LoadLevel;
import dev.moeserve.loadtest.engine.LoadRunner;
import dev.moeserve.loadtest.engine.LoadSettings;
import dev.moeserve.model.progress.ProgressLine;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.scenario.BenchContext;
import dev.moeserve.loadtest.scenario.Protocol;
import dev.moeserve.loadtest.scenario.Scenario;
import dev.moeserve.loadtest.scenario.Scenarios;
import dev.moeserve.model.ProjectHome;
import dev.moeserve.model.bundle.Bundle;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code moe bench}: runs one benchmark scenario and writes its report. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a load test or benchmark scenario and prints a Markdown report; the report and one CSV "
                + "file per table are also written to --out.",
                "",
                "Scenarios: load (default), pools, policies, ab, remote, replay, bare; see --scenario.",
                "Only loopback targets are accepted unless --allow-remote is given."})
public final class BenchCommand implements Callable<Integer> {

    /** Exit code of an invalid command line, as picocli uses for parse errors. */
    static final int USAGE_ERROR = 2;

    /** Model name sent to a --target router when neither --model nor a readable --bundle names one. */
    static final String DEFAULT_MODEL = "fashion-vit-moe";

    /** Closed-loop sweep of the load scenario when --concurrency is not given. */
    static final List<Integer> LOAD_SWEEP = List.of(1, 4, 16, 64);

    /** Concurrency of the comparison scenarios when --concurrency is not given. */
    static final List<Integer> COMPARISON_CONCURRENCY = List.of(4);

    /** Window of the load scenario when --window is not given: 5 s. */
    static final Duration LOAD_WINDOW = LoadSettings.DEFAULT_WINDOW;

    /** Window of the comparison scenarios when --window is not given: 1 s, to keep them to seconds. */
    static final Duration COMPARISON_WINDOW = Duration.ofSeconds(1);

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--scenario", defaultValue = "load", paramLabel = "NAME",
            description = "load: sweep against --target or a router over --bundle; pools: full against keep-0.5 "
                    + "pool; policies: each routing policy; ab: an A/B table with a shadow; remote: experts in "
                    + "process against two remote workers; replay: test-set accuracy per policy; bare: the pipeline "
                    + "without the service, and the ratio (default: ${DEFAULT-VALUE}).")
    String scenario;

    @Option(names = "--bundle", paramLabel = "DIR", description = "Full bundle (default: models/fashion-vit-moe).")
    Path bundle;

    @Option(names = "--pool", paramLabel = "DIR",
            description = "Reduced keep-0.5 bundle cut from --bundle (default: models/fashion-vit-moe-keep50).")
    Path pool;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Folder of the Fashion-MNIST test split t10k-*.gz (default: data/fashion-mnist).")
    Path data;

    @Option(names = "--target", paramLabel = "HOST:PORT",
            description = "HTTP port of a running router for the load scenario; without it the scenario starts "
                    + "one in process.")
    String target;

    @Option(names = "--grpc-target", paramLabel = "HOST:PORT",
            description = "gRPC port of the router given by --target, for --protocol grpc.")
    String grpcTarget;

    @Option(names = "--model", paramLabel = "NAME",
            description = "Model name to send to --target (default: the name in --bundle's manifest, else "
                    + DEFAULT_MODEL + ").")
    String model;

    @Option(names = "--allow-remote",
            description = "Accept a --target or --grpc-target outside 127.0.0.0/8, ::1 and localhost.")
    boolean allowRemote;

    @Option(names = "--protocol", split = ",", paramLabel = "P", defaultValue = "http",
            converter = ProtocolConverter.class,
            description = "Protocols to measure, comma-separated: http, grpc (default: ${DEFAULT-VALUE}).")
    List<Protocol> protocols;

    @CommandLine.ArgGroup(exclusive = true)
    LoadChoice load;

    @Option(names = "--arrival", defaultValue = "constant", paramLabel = "A",
            description = "Open-loop spacing of requests: constant or poisson (default: ${DEFAULT-VALUE}).")
    String arrival;

    @Option(names = "--batch", defaultValue = "8", paramLabel = "N",
            description = "Images per request (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", defaultValue = "2s", converter = DurationConverter.class, paramLabel = "TIME",
            description = "Warm-up per load level, not counted, such as 500ms, 2s (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--window", converter = DurationConverter.class, paramLabel = "TIME",
            description = "Measurement window (default: 5s for the load scenario, 1s for the others).")
    Duration window;

    @Option(names = "--stable-windows", defaultValue = "" + LoadSettings.DEFAULT_STABLE_WINDOWS, paramLabel = "N",
            description = "Windows that must agree on throughput and p50 (default: ${DEFAULT-VALUE}).")
    int stableWindows;

    @Option(names = "--max-windows", defaultValue = "" + LoadSettings.DEFAULT_MAX_WINDOWS, paramLabel = "N",
            description = "Windows after which a level stops even when unstable (default: ${DEFAULT-VALUE}).")
    int maxWindows;

    @Option(names = "--tolerance", defaultValue = "" + LoadSettings.DEFAULT_TOLERANCE, paramLabel = "X",
            description = "Largest relative spread of throughput and p50 over the agreeing windows "
                    + "(default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--timeout", defaultValue = "30s", converter = DurationConverter.class, paramLabel = "TIME",
            description = "Request timeout; later replies count as errors of kind timeout (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--max-outstanding", defaultValue = "" + LoadSettings.DEFAULT_MAX_OUTSTANDING, paramLabel = "N",
            description = "Open loop: requests in flight beyond which starts are skipped and counted as "
                    + "client_backlog errors (default: ${DEFAULT-VALUE}).")
    int maxOutstanding;

    @Option(names = "--load-images", defaultValue = "512", paramLabel = "N",
            description = "Test images that measured requests cycle through (default: ${DEFAULT-VALUE}).")
    int loadImages;

    @Option(names = "--images", defaultValue = "2000", paramLabel = "N",
            description = "Test images that replay and ab send, each once; at most 10000 (default: ${DEFAULT-VALUE}).")
    int replayImages;

    @Option(names = "--replay-limit", defaultValue = "120s", converter = DurationConverter.class, paramLabel = "TIME",
            description = "Maximum time of one replay pass; a pass stops there even with images left (default: ${DEFAULT-VALUE}).")
    Duration replayLimit;

    @Option(names = "--beta", defaultValue = "1.0", paramLabel = "X",
            description = "Beta of the agf-prior policy (default: ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = "--tau", defaultValue = "0.5", paramLabel = "X",
            description = "Tau of the cascade policy: images whose top-1 probability is below it are served again "
                    + "with the full pool (default: ${DEFAULT-VALUE}).")
    double tau;

    @Option(names = "--users", defaultValue = "200", paramLabel = "N",
            description = "Simulated callers of the ab scenario, each kept on one arm (default: ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--threads", paramLabel = "N",
            description = "Inference threads of the routers started and of the bare pipeline (default: the "
                    + "processor count).")
    Integer threads;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the report files (default: target/bench).")
    Path out;

    /** Either a closed-loop concurrency sweep or open-loop rates. */
    static final class LoadChoice {

        @Option(names = "--concurrency", split = ",", paramLabel = "N",
                description = "Closed loop: callers per level, comma-separated (default: 1,4,16,64 for the load "
                        + "scenario, 4 for the others; replay and ab use the first value).")
        List<Integer> concurrency;

        @Option(names = "--rate", split = ",", paramLabel = "R",
                description = "Open loop: requests per second per level, comma-separated.")
        List<Double> rates;
    }

    /** Parses protocol names case-insensitively. */
    static final class ProtocolConverter implements CommandLine.ITypeConverter<Protocol> {

        @Override
        public Protocol convert(String value) {
            for (Protocol protocol : Protocol.values()) {
                if (protocol.label().equalsIgnoreCase(value.trim())) {
                    return protocol;
                }
            }
            throw new CommandLine.TypeConversionException("protocol must be http or grpc, got '" + value + "'");
        }
    }

    @Override
    public Integer call() {
        Scenario chosen;
        BenchContext context;
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        try {
            chosen = Scenarios.byName(scenario);
            context = context(chosen, vertx);
        } catch (IllegalArgumentException e) {
            close(vertx);
            spec.commandLine().getErr().println("error: " + e.getMessage() + " (see ./moe bench --help)");
            return USAGE_ERROR;
        }
        try {
            BenchReport report = chosen.run(context);
            spec.commandLine().getOut().print(report.toMarkdown());
            spec.commandLine().getOut().flush();
            for (Path file : report.write(outputDirectory())) {
                spec.commandLine().getErr().println("Wrote " + file);
            }
            return 0;
        } catch (IllegalArgumentException | IllegalStateException e) {
            spec.commandLine().getErr().println("error: scenario " + scenario + " failed: " + e.getMessage());
            return 1;
        } finally {
            close(vertx);
        }
    }

    /** Builds the scenario's context from the options; for tests as well. */
    BenchContext context(Scenario chosen, Vertx vertx) {
        if (target == null && grpcTarget != null) {
            throw new IllegalArgumentException("--grpc-target needs --target, the HTTP port of the same router");
        }
        if (target != null && !"load".equals(chosen.name())) {
            throw new IllegalArgumentException("--target applies only to --scenario load; the " + chosen.name()
                    + " scenario starts its own routers");
        }
        Endpoint http = target == null ? null : Endpoint.parse(target, allowRemote);
        Endpoint grpc = grpcTarget == null ? null : Endpoint.parse(grpcTarget, allowRemote);
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        }
        if (users < 0) {
            throw new IllegalArgumentException("--users must be >= 0, got " + users);
        }
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (threadCount < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threadCount);
        }
        LoadSettings settings = LoadSettings.builder()
                .warmup(warmup)
                .window(window != null ? window : "load".equals(chosen.name()) ? LOAD_WINDOW : COMPARISON_WINDOW)
                .stableWindows(stableWindows)
                .maxWindows(maxWindows)
                .tolerance(tolerance)
                .requestTimeout(timeout)
                .maxOutstanding(maxOutstanding)
                .build();
        Path bundleDir = bundle != null ? bundle : ProjectHome.path("models/fashion-vit-moe");
        return new BenchContext(new LoadRunner(settings, ProgressLine.stderr()), levels(chosen), List.copyOf(protocols),
                batch, loadImages, replayImages, replayLimit, bundleDir,
                pool != null ? pool : ProjectHome.path("models/fashion-vit-moe-keep50"),
                data != null ? data : ProjectHome.path("data/fashion-mnist"), beta, tau, users, threadCount,
                List.of("--threads", Integer.toString(threadCount)), http, grpc, modelName(bundleDir), vertx,
                "./moe " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
    }

    private List<LoadLevel> levels(Scenario chosen) {
        List<LoadLevel> levels = new ArrayList<>();
        if (load != null && load.rates != null) {
            Arrival spacing = arrival();
            for (double rate : load.rates) {
                levels.add(LoadLevel.open(rate, spacing));
            }
            return levels;
        }
        List<Integer> concurrency = load != null && load.concurrency != null ? load.concurrency
                : "load".equals(chosen.name()) ? LOAD_SWEEP : COMPARISON_CONCURRENCY;
        for (int callers : concurrency) {
            levels.add(LoadLevel.closed(callers));
        }
        return levels;
    }

    private Arrival arrival() {
        for (Arrival value : Arrival.values()) {
            if (value.name().equalsIgnoreCase(arrival)) {
                return value;
            }
        }
        throw new IllegalArgumentException("--arrival must be constant or poisson, got '" + arrival + "'");
    }

    private String modelName(Path bundleDir) {
        if (model != null) {
            return model;
        }
        if (Files.isRegularFile(bundleDir.resolve("manifest.json"))) {
            try {
                return Bundle.open(bundleDir).manifest().name();
            } catch (RuntimeException e) {
                return DEFAULT_MODEL;
            }
        }
        return DEFAULT_MODEL;
    }

    private Path outputDirectory() {
        return out != null ? out : ProjectHome.path("target/bench");
    }

    private static void close(Vertx vertx) {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // The load generator exits next; its client threads are daemons.
        }
    }
}
