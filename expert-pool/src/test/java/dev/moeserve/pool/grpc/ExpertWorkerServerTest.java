package dev.moeserve.pool.grpc;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.ExpertFixtures;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.ExpertSession;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.NativeRuntime;
import dev.moeserve.pool.OrtRuntime;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.grpc.proto.ExpertInfo;
import dev.moeserve.pool.grpc.proto.ListExpertsResponse;
import dev.moeserve.pool.grpc.proto.RunExpertsRequest;
import dev.moeserve.pool.grpc.proto.RunExpertsResponse;
import com.google.protobuf.ByteString;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The worker's gRPC surface, checked with a plain client that sees the status codes. */
class ExpertWorkerServerTest {

    private static final int WIDTH = ExpertFixtures.WIDTH;
    private static final ExpertId EXPERT = new ExpertId(0, 1);

    private static Bundle bundle;

    @BeforeAll
    static void writeBundle(@TempDir Path dir) {
        NativeRuntime.assumeOnnxRuntime();
        bundle = ExpertFixtures.writeBundle(dir, 2, 4);
    }

    @Test
    void runExpertsReturnsTheExpertOutputs() throws Exception {
        try (ExpertWorkerServer worker = start(PoolOptions.defaults());
             RawWorkerClient client = new RawWorkerClient(worker.port());
             ExpertSession direct = directSession(EXPERT)) {
            float[] tokens = ExpertFixtures.tokens(11, 5);

            RawWorkerClient.Outcome<RunExpertsResponse> outcome = client.run(request(EXPERT, 5, WIDTH, tokens));

            assertThat(outcome.status()).isEqualTo(GrpcStatus.OK);
            assertThat(outcome.response().getTokenCount()).isEqualTo(5);
            assertThat(outcome.response().getWidth()).isEqualTo(WIDTH);
            assertThat(FloatBytes.decode(outcome.response().getOutputs())).containsExactly(direct.run(tokens, 5, WIDTH));
        }
    }

    @Test
    void listExpertsDescribesTheWorker() throws Exception {
        try (ExpertWorkerServer worker = start(PoolOptions.defaults());
             RawWorkerClient client = new RawWorkerClient(worker.port())) {
            ListExpertsResponse list = client.listExperts().response();

            assertThat(list.getExpertsList()).extracting(ExpertInfo::getLayer, ExpertInfo::getExpert)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 0), org.assertj.core.groups.Tuple.tuple(0, 1),
                            org.assertj.core.groups.Tuple.tuple(0, 2), org.assertj.core.groups.Tuple.tuple(0, 3));
            assertThat(list.getExpertsList()).allSatisfy(info -> assertThat(info.getWidth()).isEqualTo(WIDTH));
            assertThat(list.getExecutionProvider()).isEqualTo("cpu");
            assertThat(list.getDevice()).isEqualTo("cpu");
            assertThat(list.getWeightBytes()).isEqualTo(worker.pool().weightBytes());
        }
    }

    @Test
    void healthServiceAnswersServing() throws Exception {
        try (ExpertWorkerServer worker = start(PoolOptions.defaults());
             RawWorkerClient client = new RawWorkerClient(worker.port())) {
            assertThat(client.health("").response().getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            assertThat(client.health("moe.pool.ExpertService").response().getStatus())
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        }
    }

    @Test
    void unknownExpertGivesNotFoundNamingIt() throws Exception {
        try (ExpertWorkerServer worker = start(PoolOptions.defaults());
             RawWorkerClient client = new RawWorkerClient(worker.port())) {
            RawWorkerClient.Outcome<RunExpertsResponse> outcome = client.run(
                    request(new ExpertId(1, 3), 1, WIDTH, ExpertFixtures.tokens(1, 1)));

            assertThat(outcome.status()).isEqualTo(GrpcStatus.NOT_FOUND);
            assertThat(outcome.message()).contains("1:3");
        }
    }

    @Test
    void badInputsGiveInvalidArgument() throws Exception {
        try (ExpertWorkerServer worker = start(PoolOptions.defaults());
             RawWorkerClient client = new RawWorkerClient(worker.port())) {
            float[] tokens = ExpertFixtures.tokens(2, 2);
            ByteString bytes = FloatBytes.encode(tokens);
            RunExpertsRequest shortBytes = request(EXPERT, 2, WIDTH, tokens).toBuilder()
                    .setTokens(bytes.substring(0, bytes.size() - 4)).build();
            float[] narrow = new float[2 * 32];
            float[] withNan = tokens.clone();
            withNan[5] = Float.NaN;

            RawWorkerClient.Outcome<RunExpertsResponse> byteCount = client.run(shortBytes);
            RawWorkerClient.Outcome<RunExpertsResponse> width = client.run(request(EXPERT, 2, 32, narrow));
            RawWorkerClient.Outcome<RunExpertsResponse> nan = client.run(request(EXPERT, 2, WIDTH, withNan));
            RawWorkerClient.Outcome<RunExpertsResponse> negative = client.run(request(EXPERT, 2, WIDTH, tokens)
                    .toBuilder().setLayer(-1).build());

            assertThat(byteCount.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(byteCount.message()).contains("512 bytes").contains("got 508");
            assertThat(width.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(width.message()).contains("expects width 64, got 32");
            assertThat(nan.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(nan.message()).contains("NaN");
            assertThat(negative.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(negative.message()).contains("layer must be >= 0, got -1");
        }
    }

    @Test
    void fullQueueGivesResourceExhausted() throws Exception {
        PoolOptions options = PoolOptions.builder().batchWindow(PoolOptions.MAX_BATCH_WINDOW).queueCapacity(1)
                .build();
        try (ExpertWorkerServer worker = start(options);
             RawWorkerClient client = new RawWorkerClient(worker.port())) {
            Future<RawWorkerClient.Outcome<RunExpertsResponse>> waiting = client.runAsync(
                    request(EXPERT, 1, WIDTH, ExpertFixtures.tokens(1, 1)));
            awaitQueued(worker.pool(), 1);

            RawWorkerClient.Outcome<RunExpertsResponse> rejected = client.run(
                    request(EXPERT, 1, WIDTH, ExpertFixtures.tokens(2, 1)));

            assertThat(rejected.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
            assertThat(rejected.message()).contains("expert 0:1");
            assertThat(waiting.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).status())
                    .isEqualTo(GrpcStatus.OK);
        }
    }

    @Test
    void closeDrainsCallsInFlight() throws Exception {
        PoolOptions options = PoolOptions.builder().batchWindow(PoolOptions.MAX_BATCH_WINDOW).build();
        ExpertWorkerServer worker = start(options);
        try (RawWorkerClient client = new RawWorkerClient(worker.port());
             ExpertSession direct = directSession(EXPERT)) {
            List<Future<RawWorkerClient.Outcome<RunExpertsResponse>>> inFlight = new ArrayList<>();
            for (int call = 0; call < 4; call++) {
                inFlight.add(client.runAsync(request(EXPERT, 2, WIDTH, ExpertFixtures.tokens(call, 2))));
            }
            awaitQueued(worker.pool(), 4);

            worker.close();

            for (int call = 0; call < 4; call++) {
                RawWorkerClient.Outcome<RunExpertsResponse> outcome = inFlight.get(call).toCompletionStage()
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertThat(outcome.status()).as("status of call %d", call).isEqualTo(GrpcStatus.OK);
                assertThat(FloatBytes.decode(outcome.response().getOutputs()))
                        .containsExactly(direct.run(ExpertFixtures.tokens(call, 2), 2, WIDTH));
            }
        }
    }

    @Test
    void metricsPortServesPrometheusText() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.shard(0, 2), PoolOptions.defaults(),
                registry);
        try (ExpertWorkerServer worker = ExpertWorkerServer.start(pool,
                WorkerOptions.builder().port(0).metricsPort(0).build(), registry);
             RawWorkerClient client = new RawWorkerClient(worker.port())) {
            client.run(request(EXPERT, 3, WIDTH, ExpertFixtures.tokens(3, 3)));

            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + worker.metricsPort().getAsInt() + "/metrics"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body())
                    .contains("moe_expert_tokens_total{expert=\"1\",layer=\"0\"} 3.0")
                    .contains("moe_pool_weights_bytes " + (double) pool.weightBytes())
                    .contains("moe_pool_info{device=\"cpu\",execution_provider=\"cpu\"} 1")
                    .contains("moe_worker_requests_total{method=\"RunExperts\",status=\"OK\"} 1.0");
        }
    }

    private static ExpertWorkerServer start(PoolOptions options) {
        LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.shard(0, 2), options);
        return ExpertWorkerServer.start(pool, WorkerOptions.builder().port(0).build());
    }

    private static RunExpertsRequest request(ExpertId id, int tokenCount, int width, float[] tokens) {
        return RunExpertsRequest.newBuilder()
                .setLayer(id.layer())
                .setExpert(id.expert())
                .setTokenCount(tokenCount)
                .setWidth(width)
                .setTokens(FloatBytes.encode(tokens))
                .build();
    }

    /** Waits, in bounded steps, until {@code calls} calls wait in the pool. */
    private static void awaitQueued(LocalExpertPool pool, int calls) throws InterruptedException {
        for (int attempt = 0; attempt < 3000 && pool.queuedCalls() < calls; attempt++) {
            Thread.sleep(1);
        }
        assertThat(pool.queuedCalls()).as("calls waiting in the pool").isEqualTo(calls);
    }

    private static ExpertSession directSession(ExpertId id) throws Exception {
        try (var options = OrtRuntime.cpuSessionOptions()) {
            return new ExpertSession(id, Files.readAllBytes(bundle.expertFile(id.layer(), id.expert())), options);
        }
    }
}
