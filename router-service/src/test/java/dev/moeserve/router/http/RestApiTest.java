package dev.moeserve.router.http;

import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.TableSpec;
import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The KServe v2 REST endpoints over real HTTP on loopback, with valid requests. */
@Timeout(300)
class RestApiTest {

    @TempDir
    static Path dir;

    static RouterFixture router;

    @BeforeAll
    static void start() {
        Path full = TestBundles.writeFull(dir.resolve("full"), 7);
        Path reduced = TestBundles.writeReduced(dir.resolve("reduced"), 7);
        router = RouterFixture.start(ServingModel.load(full, reduced),
                RouterFixture.options().maxBatch(8).initialTable(TableSpec.single(PolicySpec.of("topk"))));
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    @Test
    void liveAndReadyAnswer200WithEmptyBody() {
        for (String path : List.of("/v2/health/live", "/v2/health/ready")) {
            HttpResponse<Buffer> response = router.get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.body()).as(path).isNull();
        }
    }

    @Test
    void serverMetadataNamesServer() {
        JsonObject body = router.get("/v2").bodyAsJsonObject();

        assertThat(body.getString("name")).isEqualTo("moe-router");
        assertThat(body.getString("version")).isNotBlank();
        assertThat(body.getJsonArray("extensions")).isNotNull();
    }

    @Test
    void modelMetadataDescribesTensors() {
        for (String path : List.of("/v2/models/test-vit-moe", "/v2/models/test-vit-moe/versions/1")) {
            HttpResponse<Buffer> response = router.get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            JsonObject body = response.bodyAsJsonObject();
            assertThat(body.getString("name")).isEqualTo("test-vit-moe");
            assertThat(body.getJsonArray("versions")).containsExactly("1");
            assertThat(body.getString("platform")).isEqualTo("onnx_onnxv1");
            JsonObject input = body.getJsonArray("inputs").getJsonObject(0);
            assertThat(input.getString("name")).isEqualTo("images");
            assertThat(input.getJsonArray("shape")).containsExactly(-1, 28, 28);
            JsonArray outputs = body.getJsonArray("outputs");
            assertThat(outputs.getJsonObject(0).getJsonArray("shape")).containsExactly(-1, 10);
            assertThat(outputs.getJsonObject(1).getString("datatype")).isEqualTo("INT64");
            assertThat(outputs.getJsonObject(2).getJsonArray("shape")).containsExactly(-1, 2, 50, 2);
        }
    }

    @Test
    void modelReadyAnswers200() {
        assertThat(router.get("/v2/models/test-vit-moe/ready").statusCode()).isEqualTo(200);
        assertThat(router.get("/v2/models/test-vit-moe/versions/1/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void unknownModelOrVersionAnswers404() {
        for (String path : List.of("/v2/models/other", "/v2/models/other/ready", "/v2/models/test-vit-moe/versions/2",
                "/v2/models/test-vit-moe/versions/2/ready")) {
            HttpResponse<Buffer> response = router.get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.bodyAsJsonObject().getString("error")).as(path).contains("test-vit-moe");
        }
        HttpResponse<Buffer> infer = router.post("/v2/models/other/infer",
                TestImages.fp32Request(TestImages.floats(1, 1), 1).encode());
        assertThat(infer.statusCode()).isEqualTo(404);
        assertThat(infer.bodyAsJsonObject().getString("error")).contains("'other'");
    }

    @Test
    void inferReturnsProbabilitiesAndLabels() {
        JsonObject request = TestImages.fp32Request(TestImages.floats(3, 11), 3).put("id", "request-42");

        HttpResponse<Buffer> response = router.infer(request);

        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
        assertThat(response.getHeader("x-moe-policy")).isEqualTo("topk");
        JsonObject body = response.bodyAsJsonObject();
        assertThat(body.getString("id")).isEqualTo("request-42");
        assertThat(body.getString("model_name")).isEqualTo("test-vit-moe");
        assertThat(body.getJsonObject("parameters").getString("policy")).isEqualTo("topk");
        JsonArray outputs = body.getJsonArray("outputs");
        assertThat(outputs).hasSize(2);
        JsonObject probabilities = outputs.getJsonObject(0);
        assertThat(probabilities.getString("name")).isEqualTo("probabilities");
        assertThat(probabilities.getJsonArray("shape")).containsExactly(3, 10);
        JsonObject labels = outputs.getJsonObject(1);
        assertThat(labels.getString("name")).isEqualTo("label");
        assertThat(labels.getJsonArray("shape")).containsExactly(3);
        for (int i = 0; i < 3; i++) {
            double sum = 0;
            int best = 0;
            for (int c = 0; c < 10; c++) {
                double p = probabilities.getJsonArray("data").getDouble(i * 10 + c);
                sum += p;
                if (p > probabilities.getJsonArray("data").getDouble(i * 10 + best)) {
                    best = c;
                }
            }
            assertThat(sum).as("probability sum of image %d", i).isCloseTo(1.0, Offset.offset(1e-4));
            assertThat(labels.getJsonArray("data").getInteger(i)).as("label of image %d", i).isEqualTo(best);
        }
    }

    @Test
    void nestedFlatAndUint8InputsAgree() {
        int[] bytes = TestImages.bytes(2, 5);
        float[] pixels = TestImages.floats(2, 5);

        JsonArray flat = probabilities(router.infer(TestImages.fp32Request(pixels, 2)));
        JsonArray nested = probabilities(router.infer(TestImages.fp32NestedRequest(pixels, 2)));
        JsonArray uint8 = probabilities(router.infer(TestImages.uint8Request(bytes, 2)));

        assertThat(nested).isEqualTo(flat);
        for (int i = 0; i < flat.size(); i++) {
            assertThat(uint8.getDouble(i)).as("probability %d", i)
                    .isCloseTo(flat.getDouble(i), Offset.offset(1e-5));
        }
    }

    @Test
    void outputsSelectTensors() {
        JsonObject request = TestImages.fp32Request(TestImages.floats(2, 3), 2)
                .put("outputs", new JsonArray().add(new JsonObject().put("name", "label"))
                        .add(new JsonObject().put("name", "routed_experts")));

        HttpResponse<Buffer> response = router.infer(request);

        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
        JsonArray outputs = response.bodyAsJsonObject().getJsonArray("outputs");
        assertThat(outputs).hasSize(2);
        assertThat(outputs.getJsonObject(0).getString("name")).isEqualTo("label");
        JsonObject routed = outputs.getJsonObject(1);
        assertThat(routed.getString("name")).isEqualTo("routed_experts");
        assertThat(routed.getString("datatype")).isEqualTo("INT32");
        assertThat(routed.getJsonArray("shape")).containsExactly(2, 2, 50, 2);
        JsonArray experts = routed.getJsonArray("data");
        assertThat(experts).hasSize(2 * 2 * 50 * 2);
        for (int i = 0; i < experts.size(); i += 2) {
            assertThat(experts.getInteger(i)).as("slot 0 of entry %d", i / 2).isBetween(0, 3);
            assertThat(experts.getInteger(i + 1)).as("slot 1 of entry %d", i / 2).isBetween(0, 3)
                    .isNotEqualTo(experts.getInteger(i));
        }
    }

    @Test
    void requestWithoutIdGetsNone() {
        JsonObject body = router.infer(TestImages.fp32Request(TestImages.floats(1, 2), 1)).bodyAsJsonObject();

        assertThat(body.containsKey("id")).isFalse();
    }

    private static JsonArray probabilities(HttpResponse<Buffer> response) {
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
        return response.bodyAsJsonObject().getJsonArray("outputs").getJsonObject(0).getJsonArray("data");
    }
}
