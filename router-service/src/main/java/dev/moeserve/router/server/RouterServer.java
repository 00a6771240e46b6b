package dev.moeserve.router.server;

import dev.moeserve.router.grpc.GrpcApi;
import dev.moeserve.router.http.HttpApi;
import dev.moeserve.router.inference.MoePipeline;
import dev.moeserve.router.metrics.RouterMetrics;
import dev.moeserve.router.policy.PolicyCompiler;
import dev.moeserve.router.policy.PolicyFiles;
import dev.moeserve.router.policy.PolicyTable;
import dev.moeserve.router.policy.TableSpec;
import dev.moeserve.router.serving.InferenceService;
import dev.moeserve.router.serving.ServingModel;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The router: the KServe v2 REST and gRPC endpoints, {@code /metrics} and the admin API over a
 * {@link ServingModel}, in this process. Start it with {@link #start}, stop it with {@link #close}; the
 * model stays open and belongs to the caller.
 *
 * <pre>{@code
 * try (ServingModel model = ServingModel.load(bundle, pool);
 *      RouterServer server = RouterServer.start(model, RouterOptions.builder().httpPort(0).grpcPort(0).build())) {
 *     int port = server.httpPort();
 * }
 * }</pre>
 */
public final class RouterServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RouterServer.class);

    /** How long {@link #start} waits for the servers to listen. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** How long {@link #close} waits for requests in flight before it closes the servers anyway. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final Vertx vertx;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final PolicyTable table;
    private final InferenceService service;
    private final PolicyFileWatcher watcher;
    private final int httpPort;
    private final int grpcPort;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RouterServer(Vertx vertx, ExecutorService executor, PrometheusMeterRegistry registry, PolicyTable table,
                         InferenceService service, PolicyFileWatcher watcher, int httpPort, int grpcPort) {
        this.vertx = vertx;
        this.executor = executor;
        this.registry = registry;
        this.table = table;
        this.service = service;
        this.watcher = watcher;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
    }

    /**
     * Builds the policy table, starts Vert.x and both servers, and returns once they listen. Call it from
     * a thread that is not a Vert.x event loop.
     *
     * @throws dev.moeserve.router.policy.PolicyConfigException when the policy table is invalid
     * @throws IllegalStateException                            when a server cannot listen
     */
    public static RouterServer start(ServingModel model, RouterOptions options) {
        return start(model, options, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /**
     * Like {@link #start(ServingModel, RouterOptions)}, with the router's meters, Vert.x's and the JVM's in
     * {@code registry}, which {@code /metrics} serves; pass the registry the expert pool uses so that its
     * meters appear there too. {@link #close()} closes the registry.
     */
    public static RouterServer start(ServingModel model, RouterOptions options, PrometheusMeterRegistry registry) {
        RouterMetrics metrics = new RouterMetrics(registry, model.manifest(), System::nanoTime);
        metrics.backendExperts(model.backend()::experts);
        metrics.unavailableExperts(() -> model.unavailableExperts().size());
        byte[] policiesContent = options.policiesFile() == null ? null : PolicyFiles.readBytes(options.policiesFile());
        PolicyTable table = policyTable(model, options, policiesContent, metrics);

        ExecutorService executor = Executors.newFixedThreadPool(options.inferenceThreads(), daemonThreads());
        MoePipeline pipeline = new MoePipeline(model.trunk(), model.backend(), executor, metrics.routeListener());
        InferenceService service = new InferenceService(model, pipeline, table, metrics, executor,
                options.maxInFlight(), options.maxShadowInFlight());

        Vertx vertx = Vertx.builder()
                .with(vertxOptions(options))
                .withMetrics(new MicrometerMetricsFactory(registry))
                .build();
        try {
            HttpApi http = new HttpApi(service, table, metrics, registry, options.adminToken(), options.maxBatch(),
                    options.maxRequestBytes());
            GrpcApi grpc = new GrpcApi(service, options.maxBatch(), options.maxRequestBytes());

            // Vert.x shares one listening socket among servers that ask for the same host and port. Port 0 would
            // give each instance its own free port, so a free port is asked for as -1 (REST) and -2 (gRPC): a
            // negative port binds a free port that servers asking for the same negative value share.
            int httpBind = options.httpPort() == 0 ? -1 : options.httpPort();
            int grpcBind = options.grpcPort() == 0 ? -2 : options.grpcPort();
            List<ApiVerticle> instances = new CopyOnWriteArrayList<>();
            await(vertx.deployVerticle(() -> {
                ApiVerticle instance = new ApiVerticle(http, grpc, options.host(), httpBind, grpcBind,
                        options.maxRequestBytes());
                instances.add(instance);
                return instance;
            }, new DeploymentOptions().setInstances(options.serverInstances())));
            int httpPort = instances.get(0).boundHttpPort();
            int grpcPort = instances.get(0).boundGrpcPort();

            PolicyFileWatcher watcher = options.policiesFile() == null ? null
                    : PolicyFileWatcher.start(vertx, options.policiesFile(), policiesContent, table, metrics,
                    options.policiesPollInterval());
            LOG.info("Router for {} {} listening on {}: HTTP port {}, gRPC port {}; admin API {}; {}", model.name(),
                    model.version(), options.host(), httpPort, grpcPort,
                    options.adminToken() == null ? "disabled" : "enabled", options);
            return new RouterServer(vertx, executor, registry, table, service, watcher, httpPort, grpcPort);
        } catch (RuntimeException e) {
            vertx.close();
            executor.shutdownNow();
            throw e;
        }
    }

    /** Port of REST, {@code /metrics} and {@code /admin}. */
    public int httpPort() {
        return httpPort;
    }

    /** Port of the gRPC service. */
    public int grpcPort() {
        return grpcPort;
    }

    /** The policy table, for example to read the version in force or replace it in tests. */
    public PolicyTable policyTable() {
        return table;
    }

    /** Returns the registry behind {@code /metrics}. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Returns the Vert.x instance the servers run on. */
    public Vertx vertx() {
        return vertx;
    }

    /**
     * Stops accepting requests (readiness turns false and new requests get 503), waits up to 10 s for
     * requests in flight, and closes the servers and threads. Calls after the first return at once.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        service.beginShutdown();
        if (watcher != null) {
            watcher.stop();
        }
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        while (service.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (service.inFlight() > 0) {
            LOG.warn("Closing the router with {} requests still in flight after {} s", service.inFlight(),
                    DRAIN_TIMEOUT.toSeconds());
        }
        try {
            await(vertx.close());
        } catch (RuntimeException e) {
            LOG.warn("Closing Vert.x failed: {}", e.getMessage(), e);
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(DRAIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warn("Inference threads still running {} s after shutdown", DRAIN_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        registry.close();
        LOG.info("Router stopped");
    }

    private static PolicyTable policyTable(ServingModel model, RouterOptions options, byte[] policiesContent,
                                           RouterMetrics metrics) {
        PolicyCompiler compiler = new PolicyCompiler(model.manifest(), model.pool(), model.backend().experts(),
                metrics::timed);
        TableSpec initial;
        String source;
        if (options.policiesFile() != null) {
            initial = PolicyFiles.parse(options.policiesFile(), policiesContent);
            source = "policies file " + options.policiesFile();
        } else if (options.initialTable() != null) {
            initial = options.initialTable();
            source = "options";
        } else {
            initial = model.defaultTable();
            source = "default";
        }
        PolicyTable table = new PolicyTable(compiler, initial, source);
        table.onSwap(metrics::tableInstalled);
        metrics.tableSwap("startup", true);
        return table;
    }

    private static VertxOptions vertxOptions(RouterOptions options) {
        return new VertxOptions()
                .setMetricsOptions(metricsOptions())
                .setMaxEventLoopExecuteTime(options.maxEventLoopExecuteTime().toNanos())
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.NANOSECONDS)
                .setBlockedThreadCheckInterval(Math.max(10, options.maxEventLoopExecuteTime().toMillis() / 2))
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS);
    }

    /**
     * Vert.x meters with JVM metrics, tagged besides the defaults by local address (which distinguishes the
     * REST from the gRPC server) and route template, both bounded.
     */
    private static MicrometerMetricsOptions metricsOptions() {
        MicrometerMetricsOptions options = new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true);
        Set<Label> labels = EnumSet.copyOf(MicrometerMetricsOptions.DEFAULT_LABELS);
        labels.add(Label.LOCAL);
        labels.add(Label.HTTP_ROUTE);
        return options.setLabels(labels);
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "moe-inference-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture()
                    .get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Vert.x", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the router could not start or stop: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Vert.x did not respond within " + START_TIMEOUT.toSeconds() + " s", e);
        }
    }
}
