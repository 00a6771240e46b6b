package dev.moeserve.router.grpc;

import dev.moeserve.router.grpc.proto.GRPCInferenceServiceGrpcService;
import dev.moeserve.router.grpc.proto.ModelInferRequest;
import dev.moeserve.router.grpc.proto.ModelInferResponse;
import dev.moeserve.router.grpc.proto.ModelMetadataResponse;
import dev.moeserve.router.grpc.proto.ModelReadyResponse;
import dev.moeserve.router.grpc.proto.ServerLiveResponse;
import dev.moeserve.router.grpc.proto.ServerMetadataResponse;
import dev.moeserve.router.grpc.proto.ServerReadyResponse;
import dev.moeserve.router.serving.ErrorMapping;
import dev.moeserve.router.serving.InferenceService;
import dev.moeserve.router.serving.InferenceService.Outcome;
import dev.moeserve.router.serving.InvalidRequestException;
import dev.moeserve.router.serving.ModelMetadata;
import dev.moeserve.router.serving.RequestTooLargeException;
import dev.moeserve.router.serving.ServerMetadata;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.InvalidMessageException;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The KServe v2 gRPC service {@code inference.GRPCInferenceService} on the gRPC port. Handlers run on event
 * loops; ModelInfer decodes and runs on the inference executor like REST does, and failures become gRPC
 * status codes through {@link ErrorMapping}. Every ModelInfer response carries the serving policy in the
 * response header {@code x-moe-policy} and in the parameter {@code policy}.
 */
public final class GrpcApi {

    /** Response header that names the policy that served the request. */
    public static final String POLICY_HEADER = "x-moe-policy";

    private final InferenceService service;
    private final ModelMetadata metadata;
    private final int maxBatch;
    private final long maxMessageBytes;

    public GrpcApi(InferenceService service, int maxBatch, long maxMessageBytes) {
        this.service = service;
        this.metadata = ModelMetadata.of(service.model());
        this.maxBatch = maxBatch;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Registers the service's methods on {@code server}. */
    public void bind(GrpcServer server) {
        server.callHandler(GRPCInferenceServiceGrpcService.ServerLive, request -> unary(request,
                message -> ServerLiveResponse.newBuilder().setLive(true).build()));
        server.callHandler(GRPCInferenceServiceGrpcService.ServerReady, request -> unary(request,
                message -> ServerReadyResponse.newBuilder().setReady(service.ready()).build()));
        server.callHandler(GRPCInferenceServiceGrpcService.ServerMetadata, request -> unary(request,
                message -> ServerMetadataResponse.newBuilder()
                        .setName(ServerMetadata.NAME)
                        .setVersion(ServerMetadata.version())
                        .addAllExtensions(ServerMetadata.EXTENSIONS)
                        .build()));
        server.callHandler(GRPCInferenceServiceGrpcService.ModelReady, request -> unary(request, message -> {
            metadata.check(message.getName(), message.getVersion());
            return ModelReadyResponse.newBuilder().setReady(service.ready()).build();
        }));
        server.callHandler(GRPCInferenceServiceGrpcService.ModelMetadata, request -> unary(request, message -> {
            metadata.check(message.getName(), message.getVersion());
            return modelMetadata();
        }));
        server.callHandler(GRPCInferenceServiceGrpcService.ModelInfer, this::infer);
    }

    private <Q, R> void unary(GrpcServerRequest<Q, R> request, Function<Q, R> handler) {
        rejectInvalidMessages(request);
        request.handler(message -> {
            try {
                request.response().end(handler.apply(message));
            } catch (RuntimeException e) {
                fail(request.response(), e, null);
            }
        });
    }

    private void infer(GrpcServerRequest<ModelInferRequest, ModelInferResponse> request) {
        rejectInvalidMessages(request);
        request.handler(message -> {
            try {
                metadata.check(message.getModelName(), message.getModelVersion());
            } catch (RuntimeException e) {
                fail(request.response(), e, null);
                return;
            }
            Context context = Vertx.currentContext();
            String inputName = metadata.inputs().get(0).name();
            AtomicBoolean rawOutput = new AtomicBoolean();
            service.process("grpc", name -> request.headers().get(name),
                            () -> {
                                GrpcCodec.Decoded decoded = GrpcCodec.decode(message, inputName, maxBatch);
                                rawOutput.set(decoded.raw());
                                return decoded.call();
                            },
                            served -> GrpcCodec.encode(served, service.model(), rawOutput.get()))
                    .thenAccept(outcome -> context.runOnContext(v -> write(request.response(), outcome)));
        });
    }

    private static void write(GrpcServerResponse<ModelInferRequest, ModelInferResponse> response,
                              Outcome<ModelInferResponse> outcome) {
        if (outcome.failure() != null) {
            fail(response, outcome.failure(), outcome.policy());
            return;
        }
        response.headers().set(POLICY_HEADER, outcome.policy());
        response.end(outcome.reply());
    }

    /** Rejects messages that cannot be decoded or exceed the size limit, which never reach the handler. */
    private void rejectInvalidMessages(GrpcServerRequest<?, ?> request) {
        request.invalidMessageHandler(invalid -> fail(request.response(), describe(invalid), null));
    }

    private RuntimeException describe(InvalidMessageException invalid) {
        if (invalid instanceof MessageSizeOverflowException overflow) {
            return new RequestTooLargeException("message of " + overflow.messageSize()
                    + " bytes is larger than the limit of " + maxMessageBytes + " bytes");
        }
        return new InvalidRequestException("message could not be decoded: " + invalid.getMessage());
    }

    private static void fail(GrpcServerResponse<?, ?> response, Throwable failure, String policy) {
        ErrorMapping.Mapped mapped = ErrorMapping.map(failure);
        if (policy != null && !InferenceService.NO_POLICY.equals(policy)) {
            response.headers().set(POLICY_HEADER, policy);
        }
        response.status(mapped.grpcStatus()).statusMessage(mapped.message()).end();
    }

    private ModelMetadataResponse modelMetadata() {
        ModelMetadataResponse.Builder response = ModelMetadataResponse.newBuilder()
                .setName(metadata.name())
                .addAllVersions(metadata.versions())
                .setPlatform(metadata.platform());
        for (ModelMetadata.Tensor tensor : metadata.inputs()) {
            response.addInputs(tensor(tensor));
        }
        for (ModelMetadata.Tensor tensor : metadata.outputs()) {
            response.addOutputs(tensor(tensor));
        }
        return response.build();
    }

    private static ModelMetadataResponse.TensorMetadata tensor(ModelMetadata.Tensor tensor) {
        return ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(tensor.name())
                .setDatatype(tensor.datatype())
                .addAllShape(tensor.shape())
                .build();
    }
}
