package dev.moeserve.router.server;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.grpc.ExpertWorkerServer;
import dev.moeserve.pool.grpc.WorkerOptions;
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
import java.util.List;

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

    private static ExpertWorkerServer worker(Path bundle) {
        LocalExpertPool pool = LocalExpertPool.fromBundle(Bundle.open(bundle), PoolOptions.defaults());
        return ExpertWorkerServer.start(pool, WorkerOptions.builder().host("127.0.0.1").port(0).build());
    }

    private static JsonArray probabilities(JsonObject response) {
        return response.getJsonArray("outputs").getJsonObject(0).getJsonArray("data");
    }
}
