package dev.moeserve.pool.grpc;

import dev.moeserve.pool.grpc.proto.ExpertServiceGrpcClient;
import dev.moeserve.pool.grpc.proto.ListExpertsRequest;
import dev.moeserve.pool.grpc.proto.ListExpertsResponse;
import dev.moeserve.pool.grpc.proto.RunExpertsRequest;
import dev.moeserve.pool.grpc.proto.RunExpertsResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;

import java.util.concurrent.TimeUnit;

/** A plain gRPC client of one worker that returns status codes as they arrive, for server tests. */
final class RawWorkerClient implements AutoCloseable {

    static final ServiceMethod<HealthCheckResponse, HealthCheckRequest> HEALTH_CHECK = ServiceMethod.client(
            ServiceName.create("grpc.health.v1", "Health"), "Check", GrpcMessageEncoder.encoder(),
            GrpcMessageDecoder.decoder(HealthCheckResponse.newBuilder()));

    private final Vertx vertx = Vertx.vertx();
    private final GrpcClient client = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(64L << 20));
    private final SocketAddress address;

    RawWorkerClient(int port) {
        this.address = SocketAddress.inetSocketAddress(port, "127.0.0.1");
    }

    /** The outcome of one call: the status, its message, and the response when the status is OK. */
    record Outcome<T>(GrpcStatus status, String message, T response) {
    }

    Outcome<RunExpertsResponse> run(RunExpertsRequest request) {
        return call(ExpertServiceGrpcClient.RunExperts, request);
    }

    Future<Outcome<RunExpertsResponse>> runAsync(RunExpertsRequest request) {
        return callAsync(ExpertServiceGrpcClient.RunExperts, request);
    }

    Outcome<ListExpertsResponse> listExperts() {
        return call(ExpertServiceGrpcClient.ListExperts, ListExpertsRequest.getDefaultInstance());
    }

    Outcome<HealthCheckResponse> health(String service) {
        return call(HEALTH_CHECK, HealthCheckRequest.newBuilder().setService(service).build());
    }

    private <Req, Resp> Outcome<Resp> call(ServiceMethod<Resp, Req> method, Req message) {
        try {
            return callAsync(method, message).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("call " + method.fullMethodName() + " failed: " + e, e);
        }
    }

    private <Req, Resp> Future<Outcome<Resp>> callAsync(ServiceMethod<Resp, Req> method, Req message) {
        return client.request(address, method)
                .compose(request -> request.send(message))
                .compose(response -> response.last().transform(last -> Future.succeededFuture(new Outcome<>(
                        response.status(), response.statusMessage(), last.succeeded() ? last.result() : null))));
    }

    @Override
    public void close() throws Exception {
        client.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
