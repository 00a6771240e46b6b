package dev.moeserve.router.server;

import dev.moeserve.router.grpc.proto.ModelInferRequest;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.RouterFixture.GrpcReply;
import dev.moeserve.router.testing.TestBackends;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.moeserve.router.testing.RouterFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The in-flight limit rejects excess requests with 429 and RESOURCE_EXHAUSTED, and shutdown drains. */
@Timeout(300)
class OverloadTest {

    @TempDir
    Path dir;

    @Test
    void requestAboveInFlightLimitIsRejected() throws Exception {
        Path full = TestBundles.writeFull(dir.resolve("full"), 1);
        TestBackends.Gated[] gated = new TestBackends.Gated[1];
        try (RouterFixture router = RouterFixture.start(
                TestBackends.model(full, null, pool -> gated[0] = new TestBackends.Gated(pool)),
                RouterFixture.options().maxInFlight(1))) {
            Buffer body = Buffer.buffer(TestImages.fp32Request(TestImages.floats(1, 1), 1).encode());
            Future<HttpResponse<Buffer>> first = router.send(HttpMethod.POST, router.inferPath(), body, Map.of());
            assertThat(gated[0].entered.await(RouterFixture.WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

            HttpResponse<Buffer> rejected = router.post(router.inferPath(), body.toString());
            GrpcReply grpcRejected = await(router.grpcInfer(grpcRequest(), Map.of()));

            assertThat(rejected.statusCode()).isEqualTo(429);
            assertThat(rejected.getHeader("retry-after")).isEqualTo("1");
            assertThat(rejected.bodyAsJsonObject().getString("error"))
                    .isEqualTo("too many requests in flight: the limit is 1; retry later");
            assertThat(grpcRejected.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
            assertThat(grpcRejected.statusMessage()).contains("the limit is 1");

            gated[0].open();
            assertThat(await(first).statusCode()).isEqualTo(200);
            assertThat(router.post(router.inferPath(), body.toString()).statusCode()).isEqualTo(200);
            assertThat(router.server().registry().get("moe.requests").tag("status", "resource_exhausted")
                    .counters().stream().mapToDouble(c -> c.count()).sum()).isEqualTo(2.0);
        }
    }

    @Test
    void closeDrainsInFlightRequests() throws Exception {
        Path full = TestBundles.writeFull(dir.resolve("full"), 1);
        TestBackends.Gated[] gated = new TestBackends.Gated[1];
        try (RouterFixture router = RouterFixture.start(
                TestBackends.model(full, null, pool -> gated[0] = new TestBackends.Gated(pool)),
                RouterFixture.options())) {
            Buffer body = Buffer.buffer(TestImages.fp32Request(TestImages.floats(1, 2), 1).encode());
            Future<HttpResponse<Buffer>> inFlight = router.send(HttpMethod.POST, router.inferPath(), body, Map.of());
            assertThat(gated[0].entered.await(RouterFixture.WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> closing = CompletableFuture.runAsync(router.server()::close);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RouterFixture.WAIT_SECONDS);
            while (router.get("/v2/health/ready").statusCode() == 200 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }

            assertThat(router.get("/v2/health/ready").statusCode()).isEqualTo(400);
            HttpResponse<Buffer> rejected = router.post(router.inferPath(), body.toString());
            assertThat(rejected.statusCode()).isEqualTo(503);
            assertThat(rejected.bodyAsJsonObject().getString("error")).contains("shutting down");

            gated[0].open();
            assertThat(await(inFlight).statusCode()).isEqualTo(200);
            closing.get(RouterFixture.WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    private static ModelInferRequest grpcRequest() {
        ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
                .setName("images").setDatatype("UINT8").addShape(1).addShape(784);
        tensor.getContentsBuilder().addAllUintContents(java.util.Collections.nCopies(784, 7));
        return ModelInferRequest.newBuilder().setModelName(TestBundles.NAME).addInputs(tensor).build();
    }
}
