package dev.moeserve.pool.grpc;

import dev.moeserve.pool.grpc.proto.ExpertServiceGrpcClient;
import dev.moeserve.pool.grpc.proto.ListExpertsRequest;
import dev.moeserve.pool.grpc.proto.ListExpertsResponse;
import dev.moeserve.pool.grpc.proto.RunExpertsRequest;
import dev.moeserve.pool.grpc.proto.RunExpertsResponse;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The client side of one worker. Calls share the {@link GrpcClient}'s HTTP/2 connection pool, which keeps
 * one connection per address and multiplexes calls over it. The link remembers when the worker last
 * failed, so that callers can try it after healthier workers.
 */
final class WorkerLink {

    private final String address;
    private final SocketAddress socketAddress;
    private final GrpcClient client;
    private volatile long failedAtNanos;
    private volatile boolean failedRecently;

    WorkerLink(String address, SocketAddress socketAddress, GrpcClient client) {
        this.address = address;
        this.socketAddress = socketAddress;
        this.client = client;
    }

    /** Returns the worker's address as given, {@code host:port}. */
    String address() {
        return address;
    }

    Future<ListExpertsResponse> listExperts(Duration deadline) {
        return call(ExpertServiceGrpcClient.ListExperts, ListExpertsRequest.getDefaultInstance(), deadline);
    }

    Future<RunExpertsResponse> runExperts(RunExpertsRequest request, Duration deadline) {
        return call(ExpertServiceGrpcClient.RunExperts, request, deadline);
    }

    /** Records a failed call, so that the worker counts as recently failed for {@code backoff}. */
    void markFailed() {
        failedAtNanos = System.nanoTime();
        failedRecently = true;
    }

    /** Records a successful call. */
    void markHealthy() {
        failedRecently = false;
    }

    /** Returns whether the worker's last call or probe failed and none succeeded since. */
    boolean down() {
        return failedRecently;
    }

    /** Returns whether the worker failed a call less than {@code backoff} ago and none succeeded since. */
    boolean failedWithin(Duration backoff) {
        return failedRecently && System.nanoTime() - failedAtNanos < backoff.toNanos();
    }

    private <Req, Resp> Future<Resp> call(ServiceMethod<Resp, Req> method, Req message, Duration deadline) {
        return client.request(socketAddress, method)
                .compose(request -> {
                    request.timeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
                    return request.send(message);
                })
                .compose(response -> response.last().recover(failure -> Future.failedFuture(
                        statusFailure(response, failure, deadline))))
                .recover(failure -> Future.failedFuture(failure instanceof WorkerCallException
                        ? failure
                        : new WorkerCallException(null, describe(failure, deadline), failure)));
    }

    private static WorkerCallException statusFailure(GrpcClientResponse<?, ?> response, Throwable failure,
                                                     Duration deadline) {
        GrpcStatus status = response.status();
        if (status == null || status == GrpcStatus.OK) {
            return new WorkerCallException(null, describe(failure, deadline), failure);
        }
        String message = response.statusMessage();
        return new WorkerCallException(status, status.name() + (message == null ? "" : ": " + message), failure);
    }

    private static String describe(Throwable failure, Duration deadline) {
        String text = failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName();
        return text + " (deadline " + deadline.toMillis() + " ms)";
    }
}
