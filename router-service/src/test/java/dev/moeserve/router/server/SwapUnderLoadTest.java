package dev.moeserve.router.server;

import dev.moeserve.router.grpc.proto.ModelInferRequest;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.PolicyTable;
import dev.moeserve.router.policy.TableSpec;
import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replacing the policy table again and again while requests run fails no request, and each response
 * names a policy of a table that was in force while the request ran.
 */
@Timeout(300)
class SwapUnderLoadTest {

    private static final int REQUESTS = 240;
    private static final int CONCURRENCY = 8;
    private static final int MAX_SWAPS = 400;

    private static final TableSpec TABLE_A = new TableSpec(List.of(PolicySpec.of("masked"),
            new PolicySpec("agf-prior", null, null, 1.0, null, null)), null, null);
    private static final TableSpec TABLE_B = new TableSpec(List.of(PolicySpec.of("topk").withName("topk-b"),
            new PolicySpec("cascade", null, null, null, 0.5, null)), PolicySpec.of("masked").withName("shadow-b"),
            null);

    @TempDir
    Path dir;

    /** One request: the table versions in force when it was sent and when it completed, and its response. */
    private record Observation(long sentUnder, long answeredUnder, int status, String policy, long servedUnder,
                               String error) {
    }

    @Test
    void everyRequestSucceedsUnderATableInForce() throws Exception {
        Path full = TestBundles.writeFull(dir.resolve("full"), 10);
        Path reduced = TestBundles.writeReduced(dir.resolve("reduced"), 10);
        try (RouterFixture router = RouterFixture.start(ServingModel.load(full, reduced),
                RouterFixture.options().initialTable(TABLE_A).maxInFlight(REQUESTS))) {
            PolicyTable table = router.server().policyTable();
            Map<Long, Set<String>> armsByVersion = new ConcurrentHashMap<>();
            table.onSwap(snapshot -> armsByVersion.put(snapshot.version(),
                    snapshot.arms().stream().map(PolicyTable.Arm::name).collect(Collectors.toSet())));

            AtomicBoolean done = new AtomicBoolean();
            Thread swapper = new Thread(() -> {
                for (int swap = 0; swap < MAX_SWAPS && !done.get(); swap++) {
                    table.replace(swap % 2 == 0 ? TABLE_B : TABLE_A, "swap-test");
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "table-swapper");
            swapper.start();

            ConcurrentLinkedQueue<Observation> observations = new ConcurrentLinkedQueue<>();
            CountDownLatch finished = new CountDownLatch(REQUESTS);
            Semaphore slots = new Semaphore(CONCURRENCY);
            String body = TestImages.fp32Request(TestImages.floats(2, 3), 2).encode();
            ModelInferRequest grpcRequest = grpcRequest(TestImages.floats(2, 3));
            for (int i = 0; i < REQUESTS; i++) {
                assertThat(slots.tryAcquire(RouterFixture.WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
                long sentUnder = table.current().version();
                Future<Observation> call = i % 4 == 3
                        ? router.grpcInfer(grpcRequest, Map.of()).map(reply -> new Observation(sentUnder,
                        table.current().version(), reply.status() == GrpcStatus.OK ? 200 : 500,
                        reply.headers().get("x-moe-policy"), reply.response() == null ? -1
                        : reply.response().getParametersOrThrow("policy_table_version").getInt64Param(),
                        reply.statusMessage()))
                        : router.send(HttpMethod.POST, router.inferPath(), Buffer.buffer(body), Map.of())
                        .map(response -> new Observation(sentUnder, table.current().version(),
                                response.statusCode(), response.getHeader("x-moe-policy"),
                                response.statusCode() == 200 ? response.bodyAsJsonObject().getJsonObject("parameters")
                                        .getLong("policy_table_version") : -1, response.bodyAsString()));
                call.onComplete(result -> {
                    observations.add(result.succeeded() ? result.result()
                            : new Observation(sentUnder, -1, -1, null, -1, String.valueOf(result.cause())));
                    slots.release();
                    finished.countDown();
                });
            }
            assertThat(finished.await(RouterFixture.WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            done.set(true);
            swapper.join();

            assertThat(observations).hasSize(REQUESTS);
            assertThat(table.current().version()).as("tables installed").isGreaterThan(2);
            for (Observation seen : observations) {
                assertThat(seen.status()).as("status of %s", seen).isEqualTo(200);
                assertThat(seen.servedUnder()).as("table version of %s", seen)
                        .isBetween(seen.sentUnder(), seen.answeredUnder());
                Set<String> arms = seen.servedUnder() == 1 ? Set.of("masked", "agf-prior")
                        : armsByVersion.get(seen.servedUnder());
                assertThat(arms).as("arms of table %d", seen.servedUnder()).contains(seen.policy());
            }
        }
    }

    private static ModelInferRequest grpcRequest(float[] pixels) {
        ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
                .setName("images").setDatatype("FP32").addShape(2).addShape(28).addShape(28);
        for (float p : pixels) {
            tensor.getContentsBuilder().addFp32Contents(p);
        }
        return ModelInferRequest.newBuilder().setModelName(TestBundles.NAME).addInputs(tensor).build();
    }
}
