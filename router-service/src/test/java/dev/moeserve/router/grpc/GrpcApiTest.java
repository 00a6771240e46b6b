package dev.moeserve.router.grpc;

import com.google.protobuf.ByteString;
import dev.moeserve.router.grpc.proto.GRPCInferenceServiceGrpcClient;
import dev.moeserve.router.grpc.proto.InferTensorContents;
import dev.moeserve.router.grpc.proto.ModelInferRequest;
import dev.moeserve.router.grpc.proto.ModelInferResponse;
import dev.moeserve.router.grpc.proto.ModelMetadataRequest;
import dev.moeserve.router.grpc.proto.ModelMetadataResponse;
import dev.moeserve.router.grpc.proto.ModelReadyRequest;
import dev.moeserve.router.grpc.proto.ServerLiveRequest;
import dev.moeserve.router.grpc.proto.ServerMetadataRequest;
import dev.moeserve.router.grpc.proto.ServerReadyRequest;
import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.RouterFixture.GrpcReply;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.vertx.core.json.JsonArray;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;

import static dev.moeserve.router.testing.RouterFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The KServe v2 gRPC service over real HTTP/2 on loopback. */
@Timeout(300)
class GrpcApiTest {

    private static final int MAX_BATCH = 4;
    private static final int MAX_REQUEST_BYTES = 16 * 1024;

    @TempDir
    static Path dir;

    static RouterFixture router;

    @BeforeAll
    static void start() {
        Path full = TestBundles.writeFull(dir.resolve("full"), 5);
        router = RouterFixture.start(ServingModel.load(full, null),
                RouterFixture.options().maxBatch(MAX_BATCH).maxRequestBytes(MAX_REQUEST_BYTES));
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    @Test
    void healthAndMetadataCallsAnswer() {
        GRPCInferenceServiceGrpcClient client = router.grpcClient();

        assertThat(await(client.serverLive(ServerLiveRequest.getDefaultInstance())).getLive()).isTrue();
        assertThat(await(client.serverReady(ServerReadyRequest.getDefaultInstance())).getReady()).isTrue();
        assertThat(await(client.modelReady(ModelReadyRequest.newBuilder().setName("test-vit-moe").build()))
                .getReady()).isTrue();
        assertThat(await(client.serverMetadata(ServerMetadataRequest.getDefaultInstance())).getName())
                .isEqualTo("moe-router");
        ModelMetadataResponse metadata = await(client.modelMetadata(
                ModelMetadataRequest.newBuilder().setName("test-vit-moe").setVersion("1").build()));
        assertThat(metadata.getVersionsList()).containsExactly("1");
        assertThat(metadata.getInputs(0).getShapeList()).containsExactly(-1L, 28L, 28L);
        assertThat(metadata.getOutputsList()).extracting(ModelMetadataResponse.TensorMetadata::getName)
                .containsExactly("probabilities", "label", "routed_experts");
    }

    @Test
    void unknownModelIsNotFound() {
        GRPCInferenceServiceGrpcClient client = router.grpcClient();

        assertThatThrownBy(() -> await(client.modelMetadata(
                ModelMetadataRequest.newBuilder().setName("other").build())))
                .hasMessageContaining("NOT_FOUND");
        assertThatThrownBy(() -> await(client.modelReady(
                ModelReadyRequest.newBuilder().setName("test-vit-moe").setVersion("9").build())))
                .hasMessageContaining("NOT_FOUND");
        GrpcReply reply = await(router.grpcInfer(typed(TestImages.floats(1, 1), 1).toBuilder()
                .setModelName("other").build(), Map.of()));
        assertThat(reply.status()).isEqualTo(GrpcStatus.NOT_FOUND);
        assertThat(reply.statusMessage()).contains("'other'");
    }

    @Test
    void typedInferMatchesRest() {
        float[] pixels = TestImages.floats(1, 21);

        GrpcReply reply = await(router.grpcInfer(typed(pixels, 1).toBuilder().setId("g-1").build(), Map.of()));

        assertThat(reply.status()).as(reply.statusMessage()).isEqualTo(GrpcStatus.OK);
        assertThat(reply.headers().get("x-moe-policy")).isEqualTo("topk");
        ModelInferResponse response = reply.response();
        assertThat(response.getId()).isEqualTo("g-1");
        assertThat(response.getParametersOrThrow("policy").getStringParam()).isEqualTo("topk");
        assertThat(response.getRawOutputContentsCount()).isZero();
        assertThat(response.getOutputs(0).getShapeList()).containsExactly(1L, 10L);
        JsonArray rest = router.infer(TestImages.fp32Request(pixels, 1)).bodyAsJsonObject().getJsonArray("outputs")
                .getJsonObject(0).getJsonArray("data");
        for (int i = 0; i < 10; i++) {
            assertThat(response.getOutputs(0).getContents().getFp32Contents(i)).as("probability %d", i)
                    .isEqualTo(rest.getFloat(i));
        }
        assertThat(response.getOutputs(1).getContents().getInt64ContentsList()).hasSize(1);
    }

    @Test
    void rawInputGetsRawOutput() {
        float[] pixels = TestImages.floats(1, 22);
        ByteBuffer bytes = ByteBuffer.allocate(784 * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(pixels);
        ModelInferRequest request = header("FP32", 1, 784)
                .addRawInputContents(ByteString.copyFrom(bytes.array()))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probabilities"))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("routed_experts"))
                .build();

        GrpcReply reply = await(router.grpcInfer(request, Map.of()));

        assertThat(reply.status()).as(reply.statusMessage()).isEqualTo(GrpcStatus.OK);
        ModelInferResponse response = reply.response();
        assertThat(response.getOutputsCount()).isEqualTo(2);
        assertThat(response.getRawOutputContentsCount()).isEqualTo(2);
        assertThat(response.getRawOutputContents(0).size()).isEqualTo(10 * 4);
        assertThat(response.getOutputs(1).getShapeList()).containsExactly(1L, 2L, 50L, 2L);
        assertThat(response.getRawOutputContents(1).size()).isEqualTo(2 * 50 * 2 * 4);
        float[] typed = await(router.grpcInfer(typed(pixels, 1), Map.of())).response().getOutputs(0).getContents()
                .getFp32ContentsList().stream().collect(() -> new float[10], new FloatFiller(), (a, b) -> { });
        ByteBuffer raw = response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 10; i++) {
            assertThat(raw.getFloat()).as("probability %d", i).isEqualTo(typed[i]);
        }
    }

    @Test
    void rawUint8InputIsScaled() {
        int[] bytes = TestImages.bytes(1, 23);
        byte[] raw = new byte[bytes.length];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) bytes[i];
        }
        ModelInferRequest request = header("UINT8", 1, 28, 28).addRawInputContents(ByteString.copyFrom(raw)).build();

        GrpcReply reply = await(router.grpcInfer(request, Map.of()));
        GrpcReply expected = await(router.grpcInfer(typed(TestImages.floats(1, 23), 1), Map.of()));

        assertThat(reply.status()).as(reply.statusMessage()).isEqualTo(GrpcStatus.OK);
        ByteBuffer probabilities = reply.response().getRawOutputContents(0).asReadOnlyByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 10; i++) {
            assertThat(probabilities.getFloat()).as("probability %d", i)
                    .isCloseTo(expected.response().getOutputs(0).getContents().getFp32Contents(i),
                            org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    @Test
    void invalidInputsAreInvalidArgument() {
        float[] withNaN = TestImages.floats(1, 2);
        withNaN[10] = Float.NaN;
        Map<String, ModelInferRequest> cases = Map.of(
                "FP32 values must be finite numbers in [0, 1], got NaN at index 10", typed(withNaN, 1),
                "raw_input_contents[0] has 100 bytes, but inputs[0] (images) with shape [1, 784] and datatype FP32 "
                        + "needs 3136", header("FP32", 1, 784).addRawInputContents(ByteString.copyFrom(new byte[100]))
                        .build(),
                "inputs[0] (images): shape must be [B, 28, 28] or [B, 784], got [1, 28]",
                header("FP32", 1, 28).build(),
                "batch size (shape[0]) must be between 1 and 4, got 5", header("FP32", 5, 784).build(),
                "datatype must be FP32 or UINT8, got 'FP16'", header("FP16", 1, 784).build(),
                "contents.fp32_contents has 3 values, but the shape needs 784", header("FP32", 1, 784)
                        .setInputs(0, header("FP32", 1, 784).getInputs(0).toBuilder().setContents(
                                InferTensorContents.newBuilder().addFp32Contents(0f).addFp32Contents(0f)
                                        .addFp32Contents(0f))).build(),
                "inputs must hold exactly one tensor ('images'), got 0",
                ModelInferRequest.newBuilder().setModelName("test-vit-moe").build(),
                "outputs[0].name must be one of probabilities, label, routed_experts, got 'logits'",
                typed(TestImages.floats(1, 3), 1).toBuilder().addOutputs(
                        ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")).build());

        cases.forEach((message, request) -> {
            GrpcReply reply = await(router.grpcInfer(request, Map.of()));
            assertThat(reply.status()).as(message).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(reply.statusMessage()).as(message).contains(message);
        });
    }

    @Test
    void messageAboveLimitIsResourceExhausted() {
        ModelInferRequest large = typed(TestImages.floats(MAX_BATCH, 4), MAX_BATCH).toBuilder()
                .setId("x".repeat(MAX_REQUEST_BYTES)).build();

        GrpcReply reply = await(router.grpcInfer(large, Map.of()));

        assertThat(reply.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
        assertThat(reply.statusMessage()).contains("larger than the limit of " + MAX_REQUEST_BYTES + " bytes");
        assertThat(await(router.grpcInfer(typed(TestImages.floats(1, 4), 1), Map.of())).status())
                .isEqualTo(GrpcStatus.OK);
    }

    static ModelInferRequest typed(float[] pixels, int batch) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float p : pixels) {
            contents.addFp32Contents(p);
        }
        ModelInferRequest.Builder request = header("FP32", batch, 28, 28);
        request.setInputs(0, request.getInputs(0).toBuilder().setContents(contents));
        return request.build();
    }

    static ModelInferRequest.Builder header(String datatype, long... shape) {
        ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
                .setName("images").setDatatype(datatype);
        for (long dim : shape) {
            tensor.addShape(dim);
        }
        return ModelInferRequest.newBuilder().setModelName("test-vit-moe").addInputs(tensor);
    }

    /** Collects boxed floats into a preallocated array, in order. */
    private static final class FloatFiller implements java.util.function.BiConsumer<float[], Float> {
        private int next;

        @Override
        public void accept(float[] target, Float value) {
            target[next++] = value;
        }
    }
}
