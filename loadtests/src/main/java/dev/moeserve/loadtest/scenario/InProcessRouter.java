package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.Endpoint;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.router.cli.ServeCommand;
import dev.moeserve.router.inference.TrunkModel;
import dev.moeserve.router.policy.PolicyTable;
import dev.moeserve.router.policy.TableSpec;
import dev.moeserve.router.server.RouterOptions;
import dev.moeserve.router.server.RouterServer;
import dev.moeserve.router.serving.ServingModel;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A router started in this process on 127.0.0.1 and free ports: through {@link ServeCommand}, exactly as
 * {@code ./moe serve} parses and starts it, or assembled from a full bundle and the experts of a reduced
 * one with {@link #withReducedExperts}.
 */
public final class InProcessRouter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InProcessRouter.class);

    /** Bind address of every router the load tests start. */
    public static final String LOOPBACK = "127.0.0.1";

    private final ServeCommand.Running running;

    private InProcessRouter(ServeCommand.Running running) {
        this.running = running;
    }

    /**
     * Starts a router with the options of {@code moe serve}, for example
     * {@code --bundle DIR --pool DIR --workers HOST:PORT,...}. The host and both ports are set here and
     * must not be among {@code serveOptions}.
     *
     * @throws IllegalArgumentException when an option is not one of {@code moe serve}'s
     */
    public static InProcessRouter start(List<String> serveOptions) {
        for (String option : serveOptions) {
            if (option.startsWith("--host") || option.startsWith("--http-port") || option.startsWith("--grpc-port")) {
                throw new IllegalArgumentException("the load test binds the router to " + LOOPBACK
                        + " on free ports; remove " + option);
            }
        }
        List<String> args = new ArrayList<>(serveOptions);
        args.addAll(List.of("--host", LOOPBACK, "--http-port", "0", "--grpc-port", "0"));
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs(args.toArray(new String[0]));
        LOG.info("Starting a router in process: moe serve {}", String.join(" ", args));
        return new InProcessRouter(command.start());
    }

    /** Starts a router over {@code bundle}, with {@code pool} as its reduced pool when not null. */
    public static InProcessRouter start(Path bundle, Path pool, List<String> workers, List<String> extraOptions) {
        List<String> args = new ArrayList<>(List.of("--bundle", bundle.toString()));
        if (pool != null) {
            args.addAll(List.of("--pool", pool.toString()));
        }
        if (!workers.isEmpty()) {
            args.addAll(List.of("--workers", String.join(",", workers)));
        }
        args.addAll(extraOptions);
        return start(args);
    }

    /**
     * Starts a router that serves the trunk and gates of {@code bundleDir} with only the experts of the
     * reduced bundle {@code poolDir} in process, and that pool for the policies: the keep-0.5 pool as it
     * would run in production, routed with {@code masked} by default. Options other than the threads are
     * {@code moe serve}'s defaults.
     */
    public static InProcessRouter withReducedExperts(Path bundleDir, Path poolDir, int threads) {
        // NOTE: "moe serve --bundle REDUCED" does not start: ServingModel checks the reduced bundle's pool
        // against the bundle itself, whose name differs from reducedFrom.name. Hence this assembly.
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Bundle bundle = Bundle.open(bundleDir);
        Bundle poolBundle = Bundle.open(poolDir);
        TrunkModel trunk = TrunkModel.load(bundle);
        ServingModel model;
        try {
            LocalExpertPool experts = LocalExpertPool.fromBundle(poolBundle, ExpertSelection.all(),
                    PoolOptions.defaults(), registry);
            try {
                model = ServingModel.of(bundle, poolBundle, trunk, experts);
            } catch (RuntimeException e) {
                experts.close();
                throw e;
            }
        } catch (RuntimeException e) {
            trunk.close();
            throw e;
        }
        try {
            RouterOptions options = RouterOptions.builder().host(LOOPBACK).httpPort(0).grpcPort(0)
                    .inferenceThreads(threads).build();
            return new InProcessRouter(new ServeCommand.Running(model, RouterServer.start(model, options, registry)));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public Endpoint http() {
        return new Endpoint(LOOPBACK, running.server().httpPort());
    }

    public Endpoint grpc() {
        return new Endpoint(LOOPBACK, running.server().grpcPort());
    }

    public ServingModel model() {
        return running.model();
    }

    /** Returns the registry behind the router's {@code /metrics}. */
    public PrometheusMeterRegistry registry() {
        return running.server().registry();
    }

    public PolicyTable policyTable() {
        return running.server().policyTable();
    }

    /** Installs {@code table} as the policy table in force, as the admin API would. */
    public void install(TableSpec table) {
        policyTable().replace(table, "loadtest");
    }

    @Override
    public void close() {
        running.close();
    }
}
