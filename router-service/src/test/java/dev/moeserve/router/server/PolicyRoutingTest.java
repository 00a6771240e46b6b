package dev.moeserve.router.server;

import dev.moeserve.router.grpc.proto.ModelInferRequest;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.TableSpec;
import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.moeserve.router.testing.RouterFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Routing policies, A/B arms, stickiness, cascades and shadows, served over real HTTP and gRPC. */
@Timeout(300)
class PolicyRoutingTest {

    @TempDir
    static Path dir;

    static RouterFixture router;

    @BeforeAll
    static void start() {
        Path full = TestBundles.writeFull(dir.resolve("full"), 8);
        Path reduced = TestBundles.writeReduced(dir.resolve("reduced"), 8);
        router = RouterFixture.start(ServingModel.load(full, reduced), RouterFixture.options().maxBatch(16));
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    @Test
    void poolPoliciesRouteOnlyToPool() {
        for (PolicySpec policy : List.of(PolicySpec.of("masked"),
                new PolicySpec("agf-prior", null, null, 4.0, null, null),
                new PolicySpec("cascade", null, null, null, 0.0, null))) {
            install(TableSpec.single(policy));

            JsonArray experts = routedExperts(router.infer(withOutputs(TestImages.fp32Request(
                    TestImages.floats(4, 12), 4), "routed_experts")));

            for (int i = 0; i < experts.size(); i++) {
                int layer = (i / (50 * 2)) % 2;
                assertThat(TestBundles.POOLS.get(layer)).as("%s, entry %d of layer %d", policy.policy(), i, layer)
                        .contains(experts.getInteger(i));
            }
        }
    }

    @Test
    void cascadeEscalatesImagesBelowTau() {
        float[] pixels = TestImages.floats(6, 13);
        install(TableSpec.single(PolicySpec.of("topk")));
        JsonArray topkLabels = output(router.infer(TestImages.fp32Request(pixels, 6)), 1);

        install(TableSpec.single(new PolicySpec("cascade", "cascade-all", null, null, 1.0, null)));
        HttpResponse<Buffer> all = router.infer(TestImages.fp32Request(pixels, 6));
        install(TableSpec.single(new PolicySpec("cascade", "cascade-none", null, null, 0.0, null)));
        HttpResponse<Buffer> none = router.infer(TestImages.fp32Request(pixels, 6));

        assertThat(all.getHeader("x-moe-policy")).isEqualTo("cascade-all");
        assertThat(all.bodyAsJsonObject().getJsonObject("parameters").getInteger("escalated")).isEqualTo(6);
        assertThat(output(all, 1)).isEqualTo(topkLabels);
        assertThat(none.bodyAsJsonObject().getJsonObject("parameters").getInteger("escalated")).isZero();
        assertThat(counter("moe.cascade.escalations", "policy", "cascade-all")).isEqualTo(6.0);
        assertThat(counter("moe.cascade.escalations", "policy", "cascade-none")).isZero();
    }

    @Test
    void stickyHeaderKeepsCallerOnArm() {
        install(new TableSpec(List.of(PolicySpec.of("masked"), new PolicySpec("agf-prior", null, null, 1.0, null,
                null)), null, "x-user-id"));
        String body = TestImages.fp32Request(TestImages.floats(1, 14), 1).encode();

        Set<String> armsSeen = new HashSet<>();
        for (int user = 0; user < 16; user++) {
            Set<String> armsOfUser = new HashSet<>();
            for (int repeat = 0; repeat < 3; repeat++) {
                armsOfUser.add(router.post(router.inferPath(), body, Map.of("x-user-id", "user-" + user))
                        .getHeader("x-moe-policy"));
            }
            assertThat(armsOfUser).as("arms of user-%d", user).hasSize(1);
            armsSeen.addAll(armsOfUser);
        }

        assertThat(armsSeen).containsExactlyInAnyOrder("masked", "agf-prior");
    }

    @Test
    void requestIdIsStickyAcrossProtocols() {
        install(new TableSpec(List.of(PolicySpec.of("masked"), PolicySpec.of("topk")), null, null));
        float[] pixels = TestImages.floats(1, 15);

        for (int id = 0; id < 10; id++) {
            String requestId = "req-" + id;
            String http = router.infer(TestImages.fp32Request(pixels, 1).put("id", requestId))
                    .getHeader("x-moe-policy");
            String grpc = await(router.grpcInfer(grpcRequest(pixels).toBuilder().setId(requestId).build(), Map.of()))
                    .headers().get("x-moe-policy");
            assertThat(grpc).as(requestId).isEqualTo(http);
        }
    }

    @Test
    void stickyHeaderWorksOverGrpc() {
        install(new TableSpec(List.of(PolicySpec.of("masked"), PolicySpec.of("topk")), null, "x-user-id"));
        ModelInferRequest request = grpcRequest(TestImages.floats(1, 16));

        for (int user = 0; user < 8; user++) {
            Map<String, String> headers = Map.of("x-user-id", "user-" + user);
            String first = await(router.grpcInfer(request, headers)).headers().get("x-moe-policy");
            String second = await(router.grpcInfer(request, headers)).headers().get("x-moe-policy");
            assertThat(second).as("user-%d", user).isEqualTo(first);
        }
    }

    @Test
    void splitOverHttpFollowsWeights() {
        install(new TableSpec(List.of(PolicySpec.of("masked").withWeight(80), PolicySpec.of("topk").withWeight(20)),
                null, null));
        JsonObject request = TestImages.fp32Request(TestImages.floats(1, 17), 1);

        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            String policy = router.infer(request.copy().put("id", "split-" + i)).getHeader("x-moe-policy");
            counts.merge(policy, 1, Integer::sum);
        }

        // 300 requests at p = 0.2 have a standard deviation of 0.023; 0.07 is three of them.
        assertThat(counts.get("topk") / 300.0).isCloseTo(0.2, within(0.07));
        assertThat(counts.get("masked") + counts.get("topk")).isEqualTo(300);
    }

    @Test
    void identicalShadowAgreesOnEveryImage() throws Exception {
        install(new TableSpec(List.of(PolicySpec.of("topk")), PolicySpec.of("topk").withName("topk-copy"), null));

        for (int i = 0; i < 5; i++) {
            assertThat(router.infer(TestImages.fp32Request(TestImages.floats(4, 30 + i), 4)).statusCode())
                    .isEqualTo(200);
        }

        waitForShadowImages("topk-copy", 20);
        assertThat(shadowImages("topk-copy", "agree")).isEqualTo(20.0);
        assertThat(shadowImages("topk-copy", "disagree")).isZero();
    }

    @Test
    void differentShadowCountsEveryImage() throws Exception {
        install(new TableSpec(List.of(PolicySpec.of("topk")), PolicySpec.of("masked").withName("masked-shadow"), null));

        for (int i = 0; i < 5; i++) {
            router.infer(TestImages.fp32Request(TestImages.floats(4, 40 + i), 4));
        }

        waitForShadowImages("masked-shadow", 20);
        assertThat(shadowImages("masked-shadow", "agree") + shadowImages("masked-shadow", "disagree"))
                .isEqualTo(20.0);
        assertThat(router.get("/metrics").bodyAsString())
                .contains("moe_shadow_images_total{agreement=\"agree\",model=\"test-vit-moe\",policy=\"topk\","
                        + "shadow=\"masked-shadow\"}");
    }

    private static void install(TableSpec table) {
        router.server().policyTable().replace(table, "test");
    }

    private static JsonObject withOutputs(JsonObject request, String... names) {
        JsonArray outputs = new JsonArray();
        for (String name : names) {
            outputs.add(new JsonObject().put("name", name));
        }
        return request.put("outputs", outputs);
    }

    private static JsonArray routedExperts(HttpResponse<Buffer> response) {
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
        return response.bodyAsJsonObject().getJsonArray("outputs").getJsonObject(0).getJsonArray("data");
    }

    private static JsonArray output(HttpResponse<Buffer> response, int index) {
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
        return response.bodyAsJsonObject().getJsonArray("outputs").getJsonObject(index).getJsonArray("data");
    }

    private static double counter(String name, String tag, String value) {
        Counter counter = router.server().registry().find(name).tag(tag, value).counter();
        return counter == null ? 0 : counter.count();
    }

    private static double shadowImages(String shadow, String agreement) {
        Counter counter = router.server().registry().find("moe.shadow.images").tag("shadow", shadow)
                .tag("agreement", agreement).counter();
        return counter == null ? 0 : counter.count();
    }

    private static void waitForShadowImages(String shadow, double expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RouterFixture.WAIT_SECONDS);
        while (shadowImages(shadow, "agree") + shadowImages(shadow, "disagree") < expected
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private static ModelInferRequest grpcRequest(float[] pixels) {
        ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
                .setName("images").setDatatype("FP32").addShape(1).addShape(784);
        for (float p : pixels) {
            tensor.getContentsBuilder().addFp32Contents(p);
        }
        return ModelInferRequest.newBuilder().setModelName(TestBundles.NAME).addInputs(tensor).build();
    }
}
