package dev.moeserve.router.testing;

import dev.moeserve.router.grpc.proto.GRPCInferenceServiceGrpcClient;
import dev.moeserve.router.grpc.proto.ModelInferRequest;
import dev.moeserve.router.grpc.proto.ModelInferResponse;
import dev.moeserve.router.server.RouterOptions;
import dev.moeserve.router.server.RouterServer;
import dev.moeserve.router.serving.ServingModel;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A router on loopback with free ports, plus an HTTP and a gRPC client of it. Client calls return
 * futures, and the {@code await} helpers bound each wait so that a hung server fails the test instead of
 * stalling the build.
 */
public final class RouterFixture implements AutoCloseable {

    /** Upper bound on any single wait in tests; a guard against hangs, not a performance limit. */
    public static final long WAIT_SECONDS = 60;

    private final ServingModel model;
    private final RouterServer server;
    private final Vertx clientVertx;
    private final WebClient http;
    private final GrpcClient grpc;

    private RouterFixture(ServingModel model, RouterServer server) {
        this.model = model;
        this.server = server;
        this.clientVertx = Vertx.vertx();
        this.http = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.httpPort()), new PoolOptions().setHttp1MaxSize(16));
        this.grpc = GrpcClient.client(clientVertx, new GrpcClientOptions().setMaxMessageSize(64L << 20));
    }

    /** Starts a router over {@code model} with {@code options} and free loopback ports; owns {@code model}. */
    public static RouterFixture start(ServingModel model, RouterOptions.Builder options) {
        RouterOptions built = options.host("127.0.0.1").httpPort(0).grpcPort(0).build();
        try {
            return new RouterFixture(model, RouterServer.start(model, built));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Options suited to tests on a small machine: one server instance and two inference threads. */
    public static RouterOptions.Builder options() {
        return RouterOptions.builder().serverInstances(1).inferenceThreads(2);
    }

    public RouterServer server() {
        return server;
    }

    public ServingModel model() {
        return model;
    }

    public Future<HttpResponse<Buffer>> send(HttpMethod method, String path, Buffer body, Map<String, String> headers) {
        HttpRequest<Buffer> request = http.request(method, path);
        headers.forEach(request::putHeader);
        return body == null ? request.send() : request.sendBuffer(body);
    }

    public HttpResponse<Buffer> get(String path) {
        return await(send(HttpMethod.GET, path, null, Map.of()));
    }

    public HttpResponse<Buffer> post(String path, String body) {
        return await(send(HttpMethod.POST, path, Buffer.buffer(body), Map.of()));
    }

    public HttpResponse<Buffer> post(String path, String body, Map<String, String> headers) {
        return await(send(HttpMethod.POST, path, Buffer.buffer(body), headers));
    }

    /** Posts to the infer endpoint of the served model. */
    public HttpResponse<Buffer> infer(JsonObject body) {
        return post(inferPath(), body.encode());
    }

    public String inferPath() {
        return "/v2/models/" + model.name() + "/infer";
    }

    /** Result of one gRPC ModelInfer call: status, message, response headers and the response when OK. */
    public record GrpcReply(GrpcStatus status, String statusMessage, MultiMap headers, ModelInferResponse response) {
    }

    /** Sends ModelInfer with extra request headers and returns status and response. */
    public Future<GrpcReply> grpcInfer(ModelInferRequest request, Map<String, String> headers) {
        SocketAddress address = SocketAddress.inetSocketAddress(server.grpcPort(), "127.0.0.1");
        return grpc.request(address, GRPCInferenceServiceGrpcClient.ModelInfer).compose(call -> {
            headers.forEach((name, value) -> call.headers().set(name, value));
            call.end(request);
            return call.response().compose(response -> response.last()
                    .map(message -> new GrpcReply(response.status(), response.statusMessage(), response.headers(),
                            message))
                    .recover(failure -> Future.succeededFuture(new GrpcReply(response.status(),
                            response.statusMessage(), response.headers(), null))));
        });
    }

    /** Returns the generated client, for the calls whose headers do not matter. */
    public GRPCInferenceServiceGrpcClient grpcClient() {
        return GRPCInferenceServiceGrpcClient.create(grpc,
                SocketAddress.inetSocketAddress(server.grpcPort(), "127.0.0.1"));
    }

    /** Waits for {@code future} for at most {@link #WAIT_SECONDS}. */
    public static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("call did not complete: " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            http.close();
            await(grpc.close());
            await(clientVertx.close());
        } finally {
            try {
                server.close();
            } finally {
                model.close();
            }
        }
    }
}
