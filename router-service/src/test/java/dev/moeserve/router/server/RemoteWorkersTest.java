package dev.moeserve.router.server;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.grpc.ExpertWorkerServer;
import dev.moeserve.pool.grpc.RemoteExpertBackend;
import dev.moeserve.pool.grpc.RemoteOptions;
import dev.moeserve.pool.grpc.WorkerOptions;
import dev.moeserve.router.inference.TrunkModel;
import dev.moeserve.router.policy.PolicyConfigException;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.TableSpec;
import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** With {@code --workers}, expert calls go to gRPC expert workers on loopback, and the results do not change. */
@Timeout(300)
class RemoteWorkersTest {

    @TempDir
    Path dir;

    @Test
    void remoteExpertsGiveLocalAnswers() {
        Path full = TestBundles.writeFull(dir.resolve("full"), 13);
        JsonObject request = TestImages.fp32Request(TestImages.floats(3, 13), 3);
        JsonArray local;
        try (RouterFixture router = RouterFixture.start(ServingModel.load(full, null), RouterFixture.options())) {
            local = probabilities(router.infer(request).bodyAsJsonObject());
        }

        try (ExpertWorkerServer worker = worker(full);
             RouterFixture router = RouterFixture.start(ServingModel.load(full, null, List.of(worker.address()),
                     new SimpleMeterRegistry()), RouterFixture.options())) {
            JsonArray remote = probabilities(router.infer(request).bodyAsJsonObject());

            for (int i = 0; i < local.size(); i++) {
                assertThat(remote.getDouble(i)).as("probability %d", i).isCloseTo(local.getDouble(i), within(1e-5));
            }
        }
    }

    @Test
    void workerHoldingPoolServesOnlyPoolPolicies() {
        Path full = TestBundles.writeFull(dir.resolve("full"), 14);
        Path reduced = TestBundles.writeReduced(dir.resolve("reduced"), 14);
        try (ExpertWorkerServer worker = worker(reduced)) {
            assertThatThrownBy(() -> RouterFixture.start(ServingModel.load(full, reduced, List.of(worker.address()),
                    new SimpleMeterRegistry()), RouterFixture.options()
                    .initialTable(TableSpec.single(PolicySpec.of("topk")))))
                    .isInstanceOf(PolicyConfigException.class)
                    .hasMessageContaining("no backend holds");

            try (RouterFixture router = RouterFixture.start(ServingModel.load(full, reduced,
                    List.of(worker.address()), new SimpleMeterRegistry()), RouterFixture.options())) {
                assertThat(router.infer(TestImages.fp32Request(TestImages.floats(2, 1), 2)).getHeader("x-moe-policy"))
                        .isEqualTo("masked");
            }
        }
    }

    @Test
    void readinessFollowsWorkerHealth() throws Exception {
        Path full = TestBundles.writeFull(dir.resolve("full"), 15);
        Bundle bundle = Bundle.open(full);
        int port = freePort();
        ExpertWorkerServer worker = worker(full, port);
        RemoteExpertBackend backend = RemoteExpertBackend.connect(List.of(worker.address()),
                RemoteOptions.builder().probeInterval(Duration.ofMillis(100)).build());
        try (RouterFixture router = RouterFixture.start(ServingModel.of(bundle, null, TrunkModel.load(bundle), backend),
                RouterFixture.options())) {
            assertThat(router.get("/v2/health/ready").statusCode()).isEqualTo(200);

            worker.close();
            awaitReadyStatus(router, 400);
            assertThat(router.get("/v2/health/live").statusCode()).as("still live").isEqualTo(200);
            assertThat(router.get("/metrics").bodyAsString())
                    .contains("moe_backend_experts_unavailable{model=\"" + bundle.manifest().name() + "\"} "
                            + router.model().backend().experts().size() + ".0");

            worker = worker(full, port);
            awaitReadyStatus(router, 200);
            assertThat(router.infer(TestImages.fp32Request(TestImages.floats(2, 3), 2)).statusCode()).isEqualTo(200);
        } finally {
            worker.close();
        }
    }

    /** Polls {@code /v2/health/ready} for up to 30 s until it returns {@code status}. */
    private static void awaitReadyStatus(RouterFixture router, int status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (router.get("/v2/health/ready").statusCode() != status && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(router.get("/v2/health/ready").statusCode()).isEqualTo(status);
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static ExpertWorkerServer worker(Path bundle, int port) {
        LocalExpertPool pool = LocalExpertPool.fromBundle(Bundle.open(bundle), PoolOptions.defaults());
        return ExpertWorkerServer.start(pool, WorkerOptions.builder().host("127.0.0.1").port(port).build());
    }

    private static ExpertWorkerServer worker(Path bundle) {
        LocalExpertPool pool = LocalExpertPool.fromBundle(Bundle.open(bundle), PoolOptions.defaults());
        return ExpertWorkerServer.start(pool, WorkerOptions.builder().host("127.0.0.1").port(0).build());
    }

    private static JsonArray probabilities(JsonObject response) {
        return response.getJsonArray("outputs").getJsonObject(0).getJsonArray("data");
    }
}
