package dev.moeserve.router.cli;

import dev.moeserve.model.bundle.BundleException;
import dev.moeserve.router.server.RouterOptions;
import dev.moeserve.router.server.RouterServer;
import dev.moeserve.router.serving.ServingModel;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.moeserve.pool.BackendFailureException;
import dev.moeserve.pool.cli.Termination;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code moe serve}: runs the router until the process is stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serves a bundle over the KServe v2 protocol (REST and gRPC) with routing policies, "
                + "Prometheus metrics at /metrics and an admin API at /admin.")
public final class ServeCommand implements Callable<Integer> {

    /** Environment variable with the admin bearer token, used when --admin-token-file is not given. */
    public static final String ADMIN_TOKEN_ENV = "MOE_ADMIN_TOKEN";

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--bundle", required = true, paramLabel = "DIR",
            description = "Bundle to serve: trunk, gates and (without --workers) the experts to run in process.")
    Path bundle;

    @Option(names = "--pool", paramLabel = "DIR",
            description = "Reduced bundle cut from the same model; its pools and priors drive the masked, agf-prior "
                    + "and cascade policies. Without it only topk can be served, unless --bundle is reduced.")
    Path pool;

    @Option(names = "--policies", paramLabel = "FILE",
            description = "Policy table, JSON or YAML (.yaml, .yml); reloaded when the file changes. "
                    + "Default: topk, or masked when the experts held are a reduced pool.")
    Path policies;

    @Option(names = "--policies-poll-ms", paramLabel = "MS", defaultValue = "2000",
            description = "How often the policies file is checked for changes, in milliseconds "
                    + "(default: ${DEFAULT-VALUE}).")
    long policiesPollMillis;

    @Option(names = "--workers", split = ",", paramLabel = "HOST:PORT",
            description = "Expert workers to send expert calls to, comma-separated; the experts of --bundle are "
                    + "then not loaded in process.")
    List<String> workers = new ArrayList<>();

    @Option(names = "--workers-wait-s", paramLabel = "SECONDS", defaultValue = "60",
            description = "Seconds to keep retrying when no worker responds at start, for workers that start"
                    + " after the router (default: ${DEFAULT-VALUE}; 0 fails at once).")
    int workersWaitSeconds;

    @Option(names = "--host", defaultValue = RouterOptions.DEFAULT_HOST,
            description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--http-port", defaultValue = "" + RouterOptions.DEFAULT_HTTP_PORT,
            description = "Port of REST, /metrics and /admin (default: ${DEFAULT-VALUE}; 0 picks a free port).")
    int httpPort;

    @Option(names = "--grpc-port", defaultValue = "" + RouterOptions.DEFAULT_GRPC_PORT,
            description = "Port of the gRPC service (default: ${DEFAULT-VALUE}; 0 picks a free port).")
    int grpcPort;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            description = "File holding the bearer token of the admin API. Without it the token is read from "
                    + "$" + ADMIN_TOKEN_ENV + "; with neither, the admin API is disabled.")
    Path adminTokenFile;

    @Option(names = "--max-batch", defaultValue = "" + RouterOptions.DEFAULT_MAX_BATCH,
            description = "Images accepted per request (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-in-flight", defaultValue = "" + RouterOptions.DEFAULT_MAX_IN_FLIGHT,
            description = "Requests admitted at once; more get 429 or RESOURCE_EXHAUSTED (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--max-request-bytes", defaultValue = "" + RouterOptions.DEFAULT_MAX_REQUEST_BYTES,
            description = "Largest REST body and gRPC message accepted, in bytes (default: ${DEFAULT-VALUE}).")
    long maxRequestBytes;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads that decode requests and run the trunk and gates (default: the processor count).")
    Integer threads;

    /** A started router and the model it serves; closing stops the router, then closes the model. */
    public record Running(ServingModel model, RouterServer server) implements AutoCloseable {

        @Override
        public void close() {
            try {
                server.close();
            } finally {
                model.close();
            }
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServeCommand()).execute(args));
    }

    @Override
    public Integer call() {
        Running running;
        try {
            running = start();
        } catch (RuntimeException e) {
            // Bad input (a bundle, a policy file, an option, unreachable workers) needs its message, not a trace.
            boolean userError = e instanceof IllegalArgumentException
                    || e instanceof BundleException
                    || e instanceof BackendFailureException;
            if (userError) {
                LOG.error("The router did not start: {}", e.getMessage());
            } else {
                LOG.error("The router did not start: {}", e.getMessage(), e);
            }
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        try {
            Termination.install("moe-serve", running::close).awaitStop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** Loads the model and starts the router with this command's options; for tests and embedding. */
    public Running start() {
        RouterOptions.Builder options = RouterOptions.builder()
                .host(host)
                .httpPort(httpPort)
                .grpcPort(grpcPort)
                .maxBatch(maxBatch)
                .maxInFlight(maxInFlight)
                .maxRequestBytes(maxRequestBytes)
                .policiesFile(policies)
                .policiesPollInterval(Duration.ofMillis(policiesPollMillis))
                .adminToken(adminToken());
        if (threads != null) {
            options.inferenceThreads(threads);
        }
        RouterOptions built = options.build();

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ServingModel model = loadWaitingForWorkers(registry);
        try {
            return new Running(model, RouterServer.start(model, built, registry));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Loads the model; with remote workers, retries every 2 s for up to {@code --workers-wait-s}. */
    private ServingModel loadWaitingForWorkers(PrometheusMeterRegistry registry) {
        long deadline = System.nanoTime() + Duration.ofSeconds(workersWaitSeconds).toNanos();
        while (true) {
            try {
                return ServingModel.load(bundle, pool, workers, registry);
            } catch (BackendFailureException e) {
                if (workers.isEmpty() || System.nanoTime() >= deadline) {
                    throw e;
                }
                LOG.warn("No expert worker is ready yet ({}); retrying in 2 s", e.getMessage());
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private String adminToken() {
        if (adminTokenFile != null) {
            try {
                String token = Files.readString(adminTokenFile, StandardCharsets.UTF_8).trim();
                if (token.isEmpty()) {
                    throw new IllegalArgumentException("--admin-token-file " + adminTokenFile + " is empty");
                }
                return token;
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --admin-token-file " + adminTokenFile + ": " + e, e);
            }
        }
        String token = System.getenv(ADMIN_TOKEN_ENV);
        return token == null || token.isBlank() ? null : token.trim();
    }
}
