package dev.moeserve.router.server;

import dev.moeserve.pool.ExpertId;
import dev.moeserve.router.grpc.proto.ModelInferRequest;
import dev.moeserve.router.policy.PolicyConfigException;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.TableSpec;
import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.RouterFixture.GrpcReply;
import dev.moeserve.router.testing.TestBackends;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static dev.moeserve.router.testing.RouterFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A policy that needs an expert no backend holds is rejected at load, or fails each request with 503. */
@Timeout(300)
class ExpertUnavailableTest {

    @TempDir
    Path dir;

    @Test
    void topkOnReducedBundleIsRejectedAtStart() {
        Path reduced = TestBundles.writeReduced(dir.resolve("reduced"), 2);
        ServingModel model = ServingModel.load(reduced, null);

        assertThatThrownBy(() -> RouterFixture.start(model, RouterFixture.options()
                .initialTable(TableSpec.single(PolicySpec.of("topk")))))
                .isInstanceOf(PolicyConfigException.class)
                .hasMessageContaining("arms[0]: policy topk 'topk' can route to experts that no backend holds");
    }

    @Test
    void reducedBundleRejectsTopkSwap() {
        Path reduced = TestBundles.writeReduced(dir.resolve("reduced"), 2);
        try (RouterFixture router = RouterFixture.start(ServingModel.load(reduced, null),
                RouterFixture.options().adminToken("token"))) {
            HttpResponse<Buffer> served = router.infer(TestImages.fp32Request(TestImages.floats(1, 1), 1));
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.getHeader("x-moe-policy")).isEqualTo("masked");

            HttpResponse<Buffer> swap = await(router.send(HttpMethod.PUT, "/admin/routing",
                    Buffer.buffer("{\"arms\": [{\"policy\": \"topk\"}]}"), Map.of("authorization", "Bearer token")));

            assertThat(swap.statusCode()).isEqualTo(400);
            assertThat(swap.bodyAsJsonObject().getString("error")).contains("no backend holds");
            assertThat(router.server().policyTable().current().version()).isEqualTo(1);
        }
    }

    @Test
    void expertMissingAtRunTimeAnswers503() {
        Path full = TestBundles.writeFull(dir.resolve("full"), 2);
        ExpertId lost = new ExpertId(0, 1);
        try (RouterFixture router = RouterFixture.start(
                TestBackends.model(full, null, pool -> new TestBackends.Losing(pool, lost)), RouterFixture.options())) {
            HttpResponse<Buffer> response = router.infer(TestImages.fp32Request(TestImages.floats(4, 3), 4));

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.getHeader("x-moe-policy")).isEqualTo("topk");
            assertThat(response.bodyAsJsonObject().getString("error"))
                    .contains("policy 'topk' routed a token to an expert that no backend holds")
                    .contains("expert 0:1");

            ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("images").setDatatype("FP32").addShape(4).addShape(784);
            for (float p : TestImages.floats(4, 3)) {
                tensor.getContentsBuilder().addFp32Contents(p);
            }
            GrpcReply reply = await(router.grpcInfer(ModelInferRequest.newBuilder().setModelName(TestBundles.NAME)
                    .addInputs(tensor).build(), Map.of()));
            assertThat(reply.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
            assertThat(reply.statusMessage()).contains("no backend holds");
            assertThat(router.server().registry().get("moe.dispatch.errors").tag("policy", "topk")
                    .counter().count()).isEqualTo(2.0);
        }
    }
}
