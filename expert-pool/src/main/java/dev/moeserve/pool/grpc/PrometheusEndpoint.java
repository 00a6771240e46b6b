package dev.moeserve.pool.grpc;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

/** An HTTP port that serves a Prometheus registry's text exposition at {@code GET /metrics}. */
final class PrometheusEndpoint {

    /** Content type of the Prometheus text format, version 0.0.4. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;

    private PrometheusEndpoint(HttpServer server) {
        this.server = server;
    }

    /** Binds {@code host:port} (0 picks a free port) and waits until it listens. */
    static PrometheusEndpoint start(Vertx vertx, PrometheusMeterRegistry registry, String host, int port) {
        HttpServer server = vertx.createHttpServer().requestHandler(request -> handle(vertx, registry, request));
        ExpertWorkerServer.await(server.listen(port, host), "metrics port " + host + ":" + port);
        return new PrometheusEndpoint(server);
    }

    int port() {
        return server.actualPort();
    }

    Future<Void> close() {
        return server.close();
    }

    private static void handle(Vertx vertx, PrometheusMeterRegistry registry, HttpServerRequest request) {
        if (!"/metrics".equals(request.path())) {
            request.response().setStatusCode(404).end("not found: only /metrics is served here\n");
            return;
        }
        // Scraping walks every meter under locks, so it runs on a worker thread rather than the event loop.
        vertx.executeBlocking(registry::scrape).onComplete(result -> {
            if (result.succeeded()) {
                request.response().putHeader("Content-Type", CONTENT_TYPE).end(result.result());
            } else {
                request.response().setStatusCode(500).end("scraping the metrics failed: " + result.cause() + "\n");
            }
        });
    }
}
