package dev.moeserve.pool.grpc;

import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.FailureLog;
import dev.moeserve.pool.LoadedExpert;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.grpc.proto.ExpertInfo;
import dev.moeserve.pool.grpc.proto.ExpertServiceGrpcService;
import dev.moeserve.pool.grpc.proto.ListExpertsRequest;
import dev.moeserve.pool.grpc.proto.ListExpertsResponse;
import dev.moeserve.pool.grpc.proto.RunExpertsRequest;
import dev.moeserve.pool.grpc.proto.RunExpertsResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.StatusException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The worker's implementation of {@code moe.pool.ExpertService} over a {@link LocalExpertPool}. Handlers
 * run on the event loop and hand expert runs to the pool. The response is encoded on the pool's runner
 * thread before it returns to the event loop.
 *
 * <p>It binds its own call handlers rather than the generated service's, because those write the response
 * even when the client already cancelled the call (for example at its deadline), which Vert.x reports as
 * an unhandled exception on the event loop.
 */
final class ExpertServiceHandler {

    /** Counter of calls, tagged with the method and the name of the gRPC status sent. */
    static final String REQUESTS = "moe.worker.requests";

    private static final Logger LOG = LoggerFactory.getLogger(ExpertServiceHandler.class);

    private final LocalExpertPool pool;
    private final MeterRegistry registry;
    private final FailureLog internalFailures = new FailureLog(LOG);

    ExpertServiceHandler(LocalExpertPool pool, MeterRegistry registry) {
        this.pool = pool;
        this.registry = registry;
    }

    /** Binds RunExperts and ListExperts on {@code server}. */
    void bind(GrpcServer server) {
        server.callHandler(ExpertServiceGrpcService.RunExperts, request -> handle(request, this::runExperts));
        server.callHandler(ExpertServiceGrpcService.ListExperts, request -> handle(request, this::listExperts));
    }

    private <Req, Resp> void handle(GrpcServerRequest<Req, Resp> request, Function<Req, Future<Resp>> method) {
        AtomicBoolean cancelled = new AtomicBoolean();
        request.exceptionHandler(failure -> cancelled.set(true));
        request.handler(message -> method.apply(message).onComplete(outcome -> {
            if (cancelled.get()) {
                count(request.methodName(), GrpcStatus.CANCELLED);
                return;
            }
            count(request.methodName(), outcome.succeeded() ? GrpcStatus.OK : GrpcErrors.statusOf(outcome.cause()));
            try {
                if (outcome.succeeded()) {
                    request.response().end(outcome.result());
                } else {
                    request.response().fail(outcome.cause());
                }
            } catch (IllegalStateException e) {
                // The client reset the stream between the check above and the write.
                LOG.debug("{} was cancelled by the client before its response was written: {}",
                        request.fullMethodName(), e.getMessage());
            }
        }));
    }

    Future<RunExpertsResponse> runExperts(RunExpertsRequest request) {
        Context context = Vertx.currentContext();
        CompletableFuture<RunExpertsResponse> response;
        try {
            response = run(request);
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        Future<RunExpertsResponse> result = context == null
                ? Future.fromCompletionStage(response)
                : Future.fromCompletionStage(response, context);
        return result.recover(failure -> Future.failedFuture(toStatusException(request, failure)));
    }

    Future<ListExpertsResponse> listExperts(ListExpertsRequest request) {
        ListExpertsResponse.Builder response = ListExpertsResponse.newBuilder()
                .setExecutionProvider(pool.executionProvider().label())
                .setDevice(pool.device())
                .setWeightBytes(pool.weightBytes());
        for (LoadedExpert expert : pool.loadedExperts()) {
            response.addExperts(ExpertInfo.newBuilder()
                    .setLayer(expert.id().layer())
                    .setExpert(expert.id().expert())
                    .setWidth(expert.width())
                    .setWeightBytes(expert.weightBytes()));
        }
        return Future.succeededFuture(response.build());
    }

    private CompletableFuture<RunExpertsResponse> run(RunExpertsRequest request) {
        ExpertId id = new ExpertId(request.getLayer(), request.getExpert());
        int tokenCount = request.getTokenCount();
        int width = request.getWidth();
        if (pool.experts().contains(id)) {
            String sizeError = checkByteCount(id, tokenCount, width, request.getTokens().size());
            if (sizeError != null) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(sizeError));
            }
        }
        float[] tokens = FloatBytes.decode(request.getTokens());
        return pool.run(id, tokens, tokenCount, width).thenApply(outputs -> RunExpertsResponse.newBuilder()
                .setTokenCount(tokenCount)
                .setWidth(width)
                .setOutputs(FloatBytes.encode(outputs))
                .build());
    }

    /** Returns why the byte count does not fit the shape, or null when it does. */
    private static String checkByteCount(ExpertId id, int tokenCount, int width, int bytes) {
        if (tokenCount < 0 || width < 0) {
            return "expert " + id + ": token_count and width must be at least 0, got " + tokenCount + " and " + width;
        }
        long expected = (long) tokenCount * width * Float.BYTES;
        if (bytes != expected) {
            return "expert " + id + ": tokens must hold token_count x width x 4 = " + tokenCount + " x " + width
                    + " x 4 = " + expected + " bytes, got " + bytes;
        }
        return null;
    }

    private StatusException toStatusException(RunExpertsRequest request, Throwable failure) {
        Throwable cause = GrpcErrors.unwrap(failure);
        GrpcStatus status = GrpcErrors.statusOf(cause);
        if (status == GrpcStatus.INTERNAL) {
            internalFailures.log("RunExperts for expert {}:{} failed: {}", request.getLayer(), request.getExpert(),
                    cause.toString(), cause);
        }
        String message = cause.getMessage() != null ? cause.getMessage() : cause.toString();
        return new StatusException(status, message);
    }

    private void count(String method, GrpcStatus status) {
        Counter.builder(REQUESTS)
                .description("Expert service calls by method and gRPC status")
                .tag("method", method)
                .tag("status", status.name())
                .register(registry)
                .increment();
    }
}
