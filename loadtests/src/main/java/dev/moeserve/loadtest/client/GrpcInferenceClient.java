package dev.moeserve.loadtest.client;

import com.google.protobuf.ByteString;
import dev.moeserve.router.grpc.proto.GRPCInferenceServiceGrpcClient;
import dev.moeserve.router.grpc.proto.ModelInferRequest;
import dev.moeserve.router.grpc.proto.ModelInferResponse;
import dev.moeserve.router.grpc.proto.ModelMetadataRequest;
import dev.moeserve.router.grpc.proto.ModelMetadataResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * KServe v2 gRPC client ({@code inference.GRPCInferenceService/ModelInfer}) with the images as a UINT8
 * tensor in {@code raw_input_contents}, asking only for the {@code label} output, which comes back raw.
 */
public final class GrpcInferenceClient implements InferenceClient {

    /** Largest message accepted: 64 MiB, far above a reply of labels. */
    private static final long MAX_MESSAGE_BYTES = 64L << 20;

    private static final long METADATA_TIMEOUT_SECONDS = 30;

    private final GrpcClient grpc;
    private final SocketAddress address;
    private final Endpoint endpoint;
    private final ClientOptions options;
    private final List<ModelInferRequest> requests;

    private GrpcInferenceClient(GrpcClient grpc, Endpoint endpoint, ClientOptions options,
                                List<ModelInferRequest> requests) {
        this.grpc = grpc;
        this.address = SocketAddress.inetSocketAddress(endpoint.port(), endpoint.host());
        this.endpoint = endpoint;
        this.options = options;
        this.requests = requests;
    }

    /**
     * Reads the model's input name with ModelMetadata, then builds every request. Blocks for at most 30 s;
     * do not call it on an event loop.
     *
     * @throws IllegalStateException when the model metadata cannot be read
     */
    public static GrpcInferenceClient connect(Vertx vertx, Endpoint endpoint, ClientOptions options,
                                              List<RequestBatch> batches) {
        GrpcClient grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES));
        try {
            SocketAddress address = SocketAddress.inetSocketAddress(endpoint.port(), endpoint.host());
            String inputName = inputName(grpc, address, options.model(), endpoint);
            List<ModelInferRequest> requests = new ArrayList<>();
            for (RequestBatch batch : batches) {
                requests.add(request(batch, options.model(), inputName));
            }
            return new GrpcInferenceClient(grpc, endpoint, options, requests);
        } catch (RuntimeException e) {
            grpc.close();
            throw e;
        }
    }

    @Override
    public CompletableFuture<Reply> infer(int batchIndex, String stickyKey) {
        ModelInferRequest message = requests.get(batchIndex);
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        grpc.request(address, GRPCInferenceServiceGrpcClient.ModelInfer).compose(call -> {
            call.timeout(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            if (stickyKey != null && options.stickyHeader() != null) {
                call.headers().set(options.stickyHeader(), stickyKey);
            }
            call.end(message);
            return call.response().compose(response -> response.last()
                    .map(last -> read(response.status(), response.headers().get(HttpInferenceClient.POLICY_HEADER),
                            last))
                    .recover(failure -> Future.succeededFuture(response.status() != null
                            && response.status() != GrpcStatus.OK
                            ? Reply.failed(ErrorKinds.ofGrpcStatus(response.status().name()),
                            response.headers().get(HttpInferenceClient.POLICY_HEADER))
                            : Reply.failed(ErrorKinds.of(failure), null))));
        }).onComplete(result -> reply.complete(result.succeeded() ? result.result()
                : Reply.failed(ErrorKinds.of(result.cause()), null)));
        return reply;
    }

    @Override
    public int batches() {
        return requests.size();
    }

    @Override
    public String describe() {
        return "grpc " + endpoint;
    }

    @Override
    public void close() {
        try {
            grpc.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // The client's connections go with the Vert.x instance that the caller closes next.
        }
    }

    private static Reply read(GrpcStatus status, String policy, ModelInferResponse response) {
        if (status != GrpcStatus.OK) {
            return Reply.failed(ErrorKinds.ofGrpcStatus(status.name()), policy);
        }
        for (int i = 0; i < response.getOutputsCount(); i++) {
            if (!"label".equals(response.getOutputs(i).getName())) {
                continue;
            }
            if (i < response.getRawOutputContentsCount()) {
                ByteBuffer raw = response.getRawOutputContents(i).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                long[] labels = new long[raw.remaining() / Long.BYTES];
                raw.asLongBuffer().get(labels);
                return Reply.ok(policy, labels);
            }
            List<Long> typed = response.getOutputs(i).getContents().getInt64ContentsList();
            return Reply.ok(policy, typed.stream().mapToLong(Long::longValue).toArray());
        }
        return Reply.failed(ErrorKinds.BAD_REPLY, policy);
    }

    private static ModelInferRequest request(RequestBatch batch, String model, String inputName) {
        return ModelInferRequest.newBuilder()
                .setModelName(model)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName(inputName)
                        .setDatatype("UINT8")
                        .addShape(batch.size())
                        .addShape(28)
                        .addShape(28))
                .addRawInputContents(ByteString.copyFrom(batch.pixels()))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("label"))
                .build();
    }

    private static String inputName(GrpcClient grpc, SocketAddress address, String model, Endpoint endpoint) {
        ModelMetadataResponse metadata;
        try {
            metadata = GRPCInferenceServiceGrpcClient.create(grpc, address)
                    .modelMetadata(ModelMetadataRequest.newBuilder().setName(model).build())
                    .toCompletionStage().toCompletableFuture().get(METADATA_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the metadata of model " + model, e);
        } catch (Exception e) {
            throw new IllegalStateException("ModelMetadata of model '" + model + "' at " + endpoint + " failed: "
                    + e.getMessage() + "; is the router's gRPC port there, and is --model right?", e);
        }
        return metadata.getInputsCount() == 0 ? "images" : metadata.getInputs(0).getName();
    }
}
