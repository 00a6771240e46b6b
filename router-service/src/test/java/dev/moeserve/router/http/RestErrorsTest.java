package dev.moeserve.router.http;

import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Invalid REST requests get a 4xx status and {@code {"error": ...}} naming the field, and break nothing. */
@Timeout(300)
class RestErrorsTest {

    private static final int MAX_BATCH = 4;
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    @TempDir
    static Path dir;

    static RouterFixture router;

    @BeforeAll
    static void start() {
        Path full = TestBundles.writeFull(dir.resolve("full"), 3);
        router = RouterFixture.start(ServingModel.load(full, null),
                RouterFixture.options().maxBatch(MAX_BATCH).maxRequestBytes(MAX_REQUEST_BYTES));
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    static Stream<Arguments> invalidBodies() {
        float[] one = TestImages.floats(1, 1);
        JsonObject valid = TestImages.fp32Request(one, 1);
        return Stream.of(
                Arguments.of("malformed JSON", "{\"inputs\": [", "not valid JSON"),
                Arguments.of("nesting deeper than Jackson allows",
                        "{\"inputs\": [{\"data\": " + "[".repeat(5000) + "]".repeat(5000) + "}]}", "not valid JSON"),
                Arguments.of("NaN token", valid.encode().replaceFirst("\\d\\.\\d+", "NaN"), "not valid JSON"),
                Arguments.of("trailing content", valid.encode() + " {}", "not valid JSON"),
                Arguments.of("array body", "[1, 2]", "must be a JSON object, got ARRAY"),
                Arguments.of("empty body", "", "must be a JSON object, got an empty body"),
                Arguments.of("no inputs", "{}", "inputs must be an array with exactly one tensor ('images'), got none"),
                Arguments.of("two inputs", new JsonObject().put("inputs", new JsonArray()
                        .add(tensor(valid)).add(tensor(valid))).encode(), "got 2 tensors"),
                Arguments.of("wrong input name", with(valid, "name", "pixels"),
                        "inputs[0].name must be 'images', got 'pixels'"),
                Arguments.of("wrong datatype", with(valid, "datatype", "INT64"),
                        "inputs[0] (images): datatype must be FP32 or UINT8, got 'INT64'"),
                Arguments.of("wrong shape", with(valid, "shape", new JsonArray().add(1).add(27).add(28)),
                        "inputs[0] (images): shape must be [B, 28, 28] or [B, 784], got [1, 27, 28]"),
                Arguments.of("shape not integers", with(valid, "shape", new JsonArray().add(1).add(28.5).add(28)),
                        "inputs[0].shape must be an array of integers"),
                Arguments.of("batch above limit", with(valid, "shape", new JsonArray().add(5).add(784)),
                        "batch size (shape[0]) must be between 1 and 4, got 5"),
                Arguments.of("batch zero", with(valid, "shape", new JsonArray().add(0).add(784)),
                        "must be between 1 and 4, got 0"),
                Arguments.of("too few values", with(valid, "data", array(783, 0.5)),
                        "inputs[0] (images): data has 783 values, but shape [1, 28, 28] needs 784"),
                Arguments.of("too many values", with(valid, "data", array(785, 0.5)),
                        "inputs[0] (images): data has more than 784 values"),
                Arguments.of("value above 1", with(valid, "data", array(784, 1.5)),
                        "FP32 values must be finite numbers in [0, 1], got 1.5 at index 0"),
                Arguments.of("overflowing value", valid.encode().replaceFirst("\\d\\.\\d+", "1e999"),
                        "FP32 values must be finite numbers in [0, 1], got Infinity at index 0"),
                Arguments.of("string value", with(valid, "data", new JsonArray().add("0.5")),
                        "data values must be numbers, got STRING at index 0"),
                Arguments.of("UINT8 above 255", TestImages.request("UINT8", new JsonArray().add(1).add(784),
                        array(784, 300)).encode(), "UINT8 values must be integers in [0, 255], got 300.0 at index 0"),
                Arguments.of("UINT8 fraction", TestImages.request("UINT8", new JsonArray().add(1).add(784),
                        array(784, 0.5)).encode(), "UINT8 values must be integers in [0, 255], got 0.5"),
                Arguments.of("unknown output", valid.copy().put("outputs", new JsonArray()
                        .add(new JsonObject().put("name", "logits"))).encode(),
                        "outputs[0].name must be one of probabilities, label, routed_experts, got 'logits'"),
                Arguments.of("id not a string", valid.copy().put("id", 7).encode(), "id must be a string, got NUMBER"),
                Arguments.of("binary data extension", with(valid, "parameters",
                        new JsonObject().put("binary_data_size", 3136)), "binary data extension is not supported"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidBodies")
    void invalidRequestAnswers400(String description, String body, String expectedMessage) {
        HttpResponse<Buffer> response = router.post(router.inferPath(), body);

        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
        assertThat(response.getHeader("content-type")).isEqualTo("application/json");
        assertThat(response.bodyAsJsonObject().getString("error")).contains(expectedMessage);
    }

    @Test
    void bodyAboveLimitAnswers413() {
        String body = TestImages.fp32Request(TestImages.floats(1, 1), 1).put("id", "x".repeat(MAX_REQUEST_BYTES))
                .encode();

        HttpResponse<Buffer> response = router.post(router.inferPath(), body);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.bodyAsJsonObject().getString("error"))
                .isEqualTo("request body is larger than the limit of " + MAX_REQUEST_BYTES + " bytes");
    }

    @Test
    void unknownPathAnswers404Json() {
        HttpResponse<Buffer> response = router.get("/v3/whatever");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.bodyAsJsonObject().getString("error")).contains("GET /v3/whatever");
    }

    @Test
    void wrongMethodAnswers405() {
        HttpResponse<Buffer> response = router.get(router.inferPath());

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.bodyAsJsonObject().getString("error"))
                .isEqualTo("method GET is not allowed on " + router.inferPath());
    }

    @Test
    void serverStillServesAfterBadRequests() {
        for (Arguments arguments : invalidBodies().toList()) {
            router.post(router.inferPath(), (String) arguments.get()[1]);
        }

        HttpResponse<Buffer> response = router.infer(TestImages.fp32Request(TestImages.floats(2, 9), 2));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(router.server().registry().find("moe.requests.active").gauge().value()).isZero();
    }

    private static JsonObject tensor(JsonObject request) {
        return request.getJsonArray("inputs").getJsonObject(0);
    }

    private static String with(JsonObject request, String field, Object value) {
        JsonObject copy = request.copy();
        tensor(copy).put(field, value);
        return copy.encode();
    }

    private static JsonArray array(int count, double value) {
        JsonArray data = new JsonArray();
        for (int i = 0; i < count; i++) {
            data.add(value);
        }
        return data;
    }
}
