package dev.moeserve.loadtest.deploy;

import dev.moeserve.loadtest.client.ClientOptions;
import dev.moeserve.loadtest.client.Endpoint;
import dev.moeserve.loadtest.client.HttpInferenceClient;
import dev.moeserve.loadtest.client.Reply;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.scenario.TestImages;
import dev.moeserve.router.policy.PolicyFiles;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.TableSpec;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Builds the image and starts docker-compose.yml (router, two expert workers, Prometheus, Grafana) where a
 * Docker engine and the compose plugin exist, then sends one inference request to the router. Skipped
 * without Docker. The first run builds the image with Maven inside Docker, hence the long timeout.
 */
@Testcontainers(disabledWithoutDocker = true)
class ComposeStackTest {

    private static final String ROUTER = "router";
    private static final int ROUTER_HTTP_PORT = 8080;
    private static final Duration STARTUP = Duration.ofMinutes(20);

    @Container
    static final ComposeContainer STACK = new ComposeContainer(DeploymentFiles.COMPOSE.toFile())
            .withLocalCompose(true)
            .withBuild(true)
            .withRemoveVolumes(true)
            .withExposedService(ROUTER, 1, ROUTER_HTTP_PORT,
                    Wait.forHttp("/v2/health/ready").forStatusCode(200).withStartupTimeout(STARTUP));

    @BeforeAll
    static void requireLocalDocker() {
        Endpoint router = endpoint();
        Assumptions.assumeTrue(router.isLoopback(), "the Docker host " + router.host() + " is not this machine; "
                + "the load tests send requests to loopback addresses only");
    }

    @Test
    void routerServesInferenceThroughWorkers() throws Exception {
        List<RequestBatch> batch = TestImages.batches(DeploymentFiles.ROOT.resolve("data/fashion-mnist"), 2, 2);
        TableSpec table = PolicyFiles.read(DeploymentFiles.POLICIES);
        Vertx vertx = Vertx.vertx();
        try (HttpInferenceClient client = HttpInferenceClient.connect(vertx, endpoint(),
                new ClientOptions("fashion-vit-moe", 1, Duration.ofSeconds(60), null), batch)) {
            Reply reply = client.infer(0, null).get(90, TimeUnit.SECONDS);

            assertThat(reply.error()).isNull();
            assertThat(reply.labels()).hasSize(2);
            assertThat(Arrays.stream(reply.labels()).boxed().toList()).allMatch(label -> label >= 0 && label < 10);
            assertThat(table.arms().stream().map(PolicySpec::effectiveName)).contains(reply.policy());
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static Endpoint endpoint() {
        String instance = ROUTER + "-1";
        return new Endpoint(STACK.getServiceHost(instance, ROUTER_HTTP_PORT),
                STACK.getServicePort(instance, ROUTER_HTTP_PORT));
    }
}
