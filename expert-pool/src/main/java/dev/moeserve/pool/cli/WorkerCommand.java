package dev.moeserve.pool.cli;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.BundleException;
import dev.moeserve.pool.ExecutionProvider;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.grpc.ExpertWorkerServer;
import dev.moeserve.pool.grpc.WorkerOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code worker}: serves the experts of a bundle over gRPC until SIGTERM or SIGINT, which drain the calls
 * in flight before the process exits.
 */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Serves the experts of a bundle (or a shard of them) over gRPC (moe.pool.ExpertService).")
public final class WorkerCommand implements Callable<Integer> {

    @Option(names = "--bundle", required = true, description = "Bundle folder whose pool of experts is served.")
    Path bundle;

    @CommandLine.ArgGroup(exclusive = true)
    Selection selection;

    @Option(names = "--host", defaultValue = WorkerOptions.DEFAULT_HOST,
            description = "Address to bind the gRPC and metrics ports to (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "" + WorkerOptions.DEFAULT_PORT,
            description = "gRPC port; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--metrics-port", defaultValue = "" + WorkerOptions.DEFAULT_METRICS_PORT,
            description = "Prometheus port serving /metrics; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--batch-window-us", defaultValue = "1000",
            description = "Microseconds a call waits for more calls of the same expert; 0 turns batching off "
                    + "(default: ${DEFAULT-VALUE}).")
    long batchWindowMicros;

    @Option(names = "--max-batch-tokens", defaultValue = "" + PoolOptions.DEFAULT_MAX_BATCH_TOKENS,
            description = "Tokens at which a batch starts without waiting for the window (default: ${DEFAULT-VALUE}).")
    int maxBatchTokens;

    @Option(names = "--queue-capacity", defaultValue = "" + PoolOptions.DEFAULT_QUEUE_CAPACITY,
            description = "Calls that may wait per expert before new calls get RESOURCE_EXHAUSTED "
                    + "(default: ${DEFAULT-VALUE}).")
    int queueCapacity;

    @Option(names = "--device", defaultValue = "cpu",
            description = "Execution provider, cpu or cuda; cuda falls back to cpu when unavailable "
                    + "(default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--cuda-device-id", defaultValue = "" + PoolOptions.DEFAULT_CUDA_DEVICE_ID,
            description = "CUDA device ordinal used with --device cuda (default: ${DEFAULT-VALUE}).")
    int cudaDeviceId;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads and runner threads "
            + "(default: the moe.ort.threads system property, else the processor count).")
    Integer threads;

    /** Either a shard or an explicit list of experts; neither means the whole pool. */
    static final class Selection {

        @Option(names = "--shard", description = "Shard i/n of the sorted experts, for example 0/2.")
        String shard;

        @Option(names = "--experts", split = ",", description = "Explicit experts as layer:expert, for example 0:1,0:2.")
        String[] experts;

        ExpertSelection toSelection() {
            if (shard != null) {
                return ExpertSelection.parseShard(shard);
            }
            return ExpertSelection.parseExperts(String.join(",", experts));
        }
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** Returns the command line with an error handler that prints the message of a failed start. */
    static CommandLine commandLine() {
        return new CommandLine(new WorkerCommand()).setExecutionExceptionHandler((error, command, parsed) -> {
            command.getErr().println("worker failed to start: " + error.getMessage());
            if (!(error instanceof IllegalArgumentException || error instanceof BundleException)) {
                error.printStackTrace(command.getErr());
            }
            return 1;
        });
    }

    @Override
    public Integer call() throws InterruptedException {
        ExpertWorkerServer server = startServer();
        Termination.install("expert-worker", server::close).awaitStop();
        return 0;
    }

    /** Loads the pool and starts the server described by the options; the caller closes it. */
    ExpertWorkerServer startServer() {
        PoolOptions poolOptions = poolOptions();
        WorkerOptions workerOptions = WorkerOptions.builder().host(host).port(port).metricsPort(metricsPort).build();
        ExpertSelection experts = selection == null ? ExpertSelection.all() : selection.toSelection();

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LocalExpertPool pool = LocalExpertPool.fromBundle(Bundle.open(bundle), experts, poolOptions, registry);
        return ExpertWorkerServer.start(pool, workerOptions, registry);
    }

    PoolOptions poolOptions() {
        PoolOptions.Builder builder = PoolOptions.builder()
                .executionProvider(ExecutionProvider.parse(device))
                .cudaDeviceId(cudaDeviceId)
                .batchWindow(Duration.ofNanos(Math.multiplyExact(batchWindowMicros, 1000L)))
                .maxBatchTokens(maxBatchTokens)
                .queueCapacity(queueCapacity);
        if (threads != null) {
            builder.intraOpThreads(threads).runnerThreads(threads);
        }
        return builder.build();
    }
}
