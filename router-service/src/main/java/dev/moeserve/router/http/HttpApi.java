package dev.moeserve.router.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moeserve.router.metrics.RouterMetrics;
import dev.moeserve.router.policy.PolicyTable;
import dev.moeserve.router.serving.InferenceService;
import dev.moeserve.router.serving.InferenceService.Outcome;
import dev.moeserve.router.serving.InvalidRequestException;
import dev.moeserve.router.serving.MethodNotAllowedException;
import dev.moeserve.router.serving.ModelMetadata;
import dev.moeserve.router.serving.NotFoundException;
import dev.moeserve.router.serving.RequestTooLargeException;
import dev.moeserve.router.serving.ServerMetadata;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The REST endpoints on the HTTP port: the KServe v2 protocol under {@code /v2}, Prometheus metrics at
 * {@code /metrics} and the admin API under {@code /admin}. Handlers run on event loops and only parse
 * paths and headers and write responses; request bodies are decoded on the inference executor.
 */
public final class HttpApi {

    /** Body limit of admin requests, in bytes. */
    public static final int ADMIN_BODY_LIMIT = 1 << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final InferenceService service;
    private final ModelMetadata metadata;
    private final PrometheusMeterRegistry registry;
    private final AdminApi admin;
    private final int maxBatch;
    private final long maxRequestBytes;
    private final byte[] serverMetadataJson;
    private final byte[] modelMetadataJson;

    /**
     * @param adminToken      bearer token of the admin API, or null to disable it
     * @param maxBatch        images per request accepted
     * @param maxRequestBytes body size accepted for inference requests
     */
    public HttpApi(InferenceService service, PolicyTable table, RouterMetrics metrics, PrometheusMeterRegistry registry,
                   String adminToken, int maxBatch, long maxRequestBytes) {
        this.service = service;
        this.metadata = ModelMetadata.of(service.model());
        this.registry = registry;
        this.admin = new AdminApi(table, metrics, adminToken);
        this.maxBatch = maxBatch;
        this.maxRequestBytes = maxRequestBytes;
        this.serverMetadataJson = json(serverMetadata());
        this.modelMetadataJson = json(metadata);
    }

    /** Builds the router for one HTTP server instance. */
    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        router.get("/v2/health/live").handler(ctx -> ctx.response().setStatusCode(200).end());
        router.get("/v2/health/ready").handler(ctx -> ctx.response().setStatusCode(service.ready() ? 200 : 400).end());
        router.get("/v2").handler(ctx -> json(ctx, serverMetadataJson));

        for (String model : new String[] {"/v2/models/:name", "/v2/models/:name/versions/:version"}) {
            router.get(model).handler(this::modelMetadata);
            router.get(model + "/ready").handler(this::modelReady);
            router.post(model + "/infer")
                    .handler(BodyHandler.create(false).setBodyLimit(maxRequestBytes))
                    .handler(this::infer);
        }

        router.get("/metrics").handler(this::metrics);

        router.route("/admin/*").handler(admin::authorize);
        router.get("/admin/routing").handler(admin::show);
        router.put("/admin/routing").handler(BodyHandler.create(false).setBodyLimit(ADMIN_BODY_LIMIT))
                .handler(admin::replace);

        router.errorHandler(404, ctx -> HttpErrors.respond(ctx.response(), new NotFoundException("no endpoint "
                + ctx.request().method() + " " + ctx.request().path() + "; GET /v2 describes the server"), null));
        router.errorHandler(405, ctx -> HttpErrors.respond(ctx.response(), new MethodNotAllowedException(
                "method " + ctx.request().method() + " is not allowed on " + ctx.request().path()), null));
        router.errorHandler(413, ctx -> HttpErrors.respond(ctx.response(), new RequestTooLargeException(
                "request body is larger than the limit of " + limitOf(ctx) + " bytes"), null));
        router.errorHandler(400, ctx -> HttpErrors.respond(ctx.response(), new InvalidRequestException(
                ctx.failure() != null && ctx.failure().getMessage() != null ? ctx.failure().getMessage()
                        : "the request could not be read"), null));
        router.errorHandler(500, ctx -> HttpErrors.respond(ctx.response(), ctx.failure() != null ? ctx.failure()
                : new IllegalStateException("unknown failure"), null));
        return router;
    }

    private void modelMetadata(RoutingContext ctx) {
        try {
            metadata.check(ctx.pathParam("name"), ctx.pathParam("version"));
            json(ctx, modelMetadataJson);
        } catch (RuntimeException e) {
            HttpErrors.respond(ctx.response(), e, null);
        }
    }

    private void modelReady(RoutingContext ctx) {
        try {
            metadata.check(ctx.pathParam("name"), ctx.pathParam("version"));
            ctx.response().setStatusCode(service.ready() ? 200 : 400).end();
        } catch (RuntimeException e) {
            HttpErrors.respond(ctx.response(), e, null);
        }
    }

    private void infer(RoutingContext ctx) {
        try {
            metadata.check(ctx.pathParam("name"), ctx.pathParam("version"));
        } catch (RuntimeException e) {
            HttpErrors.respond(ctx.response(), e, null);
            return;
        }
        Buffer buffer = ctx.body().buffer();
        byte[] body = buffer == null ? new byte[0] : buffer.getBytes();
        HttpServerRequest request = ctx.request();
        Context context = ctx.vertx().getOrCreateContext();
        String inputName = metadata.inputs().get(0).name();
        service.process("http", request::getHeader,
                        () -> RestCodec.decode(body, inputName, maxBatch),
                        served -> RestCodec.encode(served, service.model()))
                .thenAccept(outcome -> context.runOnContext(v -> write(ctx, outcome)));
    }

    private static void write(RoutingContext ctx, Outcome<byte[]> outcome) {
        if (outcome.failure() != null) {
            HttpErrors.respond(ctx.response(), outcome.failure(), outcome.policy());
            return;
        }
        if (ctx.response().closed()) {
            return;
        }
        ctx.response()
                .putHeader(HttpErrors.POLICY_HEADER, outcome.policy())
                .putHeader("content-type", "application/json")
                .end(Buffer.buffer(outcome.reply()));
    }

    private void metrics(RoutingContext ctx) {
        ctx.vertx().executeBlocking(registry::scrape, false).onComplete(result -> {
            if (result.failed()) {
                HttpErrors.respond(ctx.response(), result.cause(), null);
                return;
            }
            ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(result.result());
        });
    }

    private long limitOf(RoutingContext ctx) {
        return ctx.request().path().startsWith("/admin") ? ADMIN_BODY_LIMIT : maxRequestBytes;
    }

    private static void json(RoutingContext ctx, byte[] body) {
        ctx.response().putHeader("content-type", "application/json").end(Buffer.buffer(body));
    }

    private static Map<String, Object> serverMetadata() {
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("name", ServerMetadata.NAME);
        server.put("version", ServerMetadata.version());
        server.put("extensions", ServerMetadata.EXTENSIONS);
        return server;
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("metadata could not be written as JSON", e);
        }
    }
}
