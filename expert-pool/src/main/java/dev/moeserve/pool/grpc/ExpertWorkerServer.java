package dev.moeserve.pool.grpc;

import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.grpc.proto.ExpertServiceGrpcService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.health.HealthService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A gRPC expert worker: {@code moe.pool.ExpertService} and the standard health service
 * {@code grpc.health.v1.Health} over a {@link LocalExpertPool}, plus an optional Prometheus endpoint on a
 * separate port. The server owns the pool and closes it.
 *
 * <p>Start one in-process with {@link #start(LocalExpertPool, WorkerOptions)}; port 0 in the options picks a
 * free port, which {@link #port()} returns.
 */
public final class ExpertWorkerServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExpertWorkerServer.class);

    /** Event-loop threads of the worker's Vert.x instance; expert runs happen on the pool's own threads. */
    private static final int EVENT_LOOP_THREADS = 2;

    private final Vertx vertx;
    private final LocalExpertPool pool;
    private final WorkerOptions options;
    private final HttpServer grpcHttpServer;
    private final PrometheusEndpoint metricsEndpoint;
    private final AtomicBoolean serving;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ExpertWorkerServer(Vertx vertx, LocalExpertPool pool, WorkerOptions options, HttpServer grpcHttpServer,
                               PrometheusEndpoint metricsEndpoint, AtomicBoolean serving) {
        this.vertx = vertx;
        this.pool = pool;
        this.options = options;
        this.grpcHttpServer = grpcHttpServer;
        this.metricsEndpoint = metricsEndpoint;
        this.serving = serving;
    }

    /** Starts a worker without a metrics endpoint and waits until its gRPC port listens. */
    public static ExpertWorkerServer start(LocalExpertPool pool, WorkerOptions options) {
        return start(pool, options, null);
    }

    /**
     * Starts a worker and waits until its ports listen. With a non-null {@code metrics} registry, which
     * should be the registry the pool was created with, {@code /metrics} is served on the metrics port.
     *
     * @throws IllegalStateException when a port cannot be bound; the pool is closed then
     */
    public static ExpertWorkerServer start(LocalExpertPool pool, WorkerOptions options,
                                           PrometheusMeterRegistry metrics) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(EVENT_LOOP_THREADS));
        try {
            AtomicBoolean serving = new AtomicBoolean(true);
            GrpcServer grpcServer = GrpcServer.server(vertx,
                    new GrpcServerOptions().setMaxMessageSize(options.maxMessageBytes()));
            new ExpertServiceHandler(pool, pool.meterRegistry()).bind(grpcServer);
            grpcServer.addService(health(vertx, serving::get));

            HttpServer http = vertx.createHttpServer(new HttpServerOptions().setHost(options.host())
                            .setPort(options.port()))
                    .requestHandler(grpcServer);
            await(http.listen(), "gRPC port " + options.host() + ":" + options.port());

            PrometheusEndpoint endpoint = null;
            if (metrics != null) {
                endpoint = PrometheusEndpoint.start(vertx, metrics, options.host(), options.metricsPort());
            }
            ExpertWorkerServer server = new ExpertWorkerServer(vertx, pool, options, http, endpoint, serving);
            LOG.info("Expert worker listening on {}:{} (metrics {}) with {} experts on {}", options.host(),
                    http.actualPort(), endpoint == null ? "off" : "on port " + endpoint.port(), pool.experts().size(),
                    pool.device());
            return server;
        } catch (RuntimeException e) {
            vertx.close();
            pool.close();
            throw e;
        }
    }

    /** Returns the bound gRPC port. */
    public int port() {
        return grpcHttpServer.actualPort();
    }

    /** Returns the bound metrics port, or empty when the worker serves no metrics. */
    public OptionalInt metricsPort() {
        return metricsEndpoint == null ? OptionalInt.empty() : OptionalInt.of(metricsEndpoint.port());
    }

    /** Returns {@code host:port} of the gRPC port, the form {@link RemoteExpertBackend} takes. */
    public String address() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return host + ":" + port();
    }

    public LocalExpertPool pool() {
        return pool;
    }

    /**
     * Shuts down gracefully. The health service reports NOT_SERVING and the gRPC port stops taking new
     * calls (HTTP/2 GOAWAY). The pool runs its waiting calls without waiting for their batch windows, and
     * the server waits up to the shutdown grace period for the responses. Then it closes the connections,
     * the metrics port and the pool's sessions.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("Expert worker on port {} shutting down: draining calls in flight", port());
        serving.set(false);
        Future<Void> shutdown = grpcHttpServer.shutdown(options.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
        pool.close();
        awaitQuietly(shutdown, "gRPC shutdown");
        if (metricsEndpoint != null) {
            awaitQuietly(metricsEndpoint.close(), "metrics port close");
        }
        awaitQuietly(vertx.close(), "Vert.x close");
        LOG.info("Expert worker stopped");
    }

    private static HealthService health(Vertx vertx, Supplier<Boolean> serving) {
        HealthService health = HealthService.create(vertx);
        Supplier<Future<Boolean>> check = () -> Future.succeededFuture(serving.get());
        health.register("", check);
        health.register(ExpertServiceGrpcService.SERVICE_NAME, check);
        return health;
    }

    static <T> T await(Future<T> future, String action) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(action + " was interrupted", e);
        } catch (Exception e) {
            Throwable cause = GrpcErrors.unwrap(e);
            throw new IllegalStateException(action + " failed: " + cause, cause);
        }
    }

    private void awaitQuietly(Future<?> future, String action) {
        try {
            future.toCompletionStage().toCompletableFuture()
                    .get(options.shutdownGrace().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("{} of the expert worker failed: {}", action, GrpcErrors.unwrap(e).toString());
        }
    }
}
