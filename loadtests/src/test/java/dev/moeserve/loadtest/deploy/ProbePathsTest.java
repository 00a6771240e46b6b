package dev.moeserve.loadtest.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moeserve.loadtest.deploy.DeploymentFiles.Instruction;
import dev.moeserve.loadtest.scenario.InProcessRouter;
import dev.moeserve.loadtest.testing.TinyBundles;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.grpc.ExpertWorkerServer;
import dev.moeserve.pool.grpc.WorkerOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends every HTTP probe and health check of the deployment files to a real router and worker started in
 * this process: each must return 200 while they serve.
 */
class ProbePathsTest {

    private static final Pattern URL = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)(/\\S*)");
    private static final String ROUTER_PORT = "8080";
    private static final String WORKER_METRICS_PORT = "9091";

    @TempDir
    static Path work;

    private static InProcessRouter router;
    private static ExpertWorkerServer worker;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        TinyBundles.Pair bundles = TinyBundles.write(work);
        router = InProcessRouter.start(bundles.full(), null, List.of(), List.of("--threads", "1"));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LocalExpertPool pool = LocalExpertPool.fromBundle(Bundle.open(bundles.reduced()), ExpertSelection.all(),
                PoolOptions.defaults(), registry);
        worker = ExpertWorkerServer.start(pool, WorkerOptions.builder().host("127.0.0.1").port(0).metricsPort(0).build(),
                registry);
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void routerAnswersItsProbePaths() throws Exception {
        TreeSet<String> paths = new TreeSet<>(probePaths(ROUTER_PORT));

        assertThat(paths).contains("/v2/health/live", "/v2/health/ready");
        for (String path : paths) {
            assertThat(status(router.http().port(), path)).as("router GET %s", path).isEqualTo(200);
        }
    }

    @Test
    void workerAnswersItsProbePaths() throws Exception {
        TreeSet<String> paths = new TreeSet<>(probePaths(WORKER_METRICS_PORT));

        assertThat(paths).containsExactly("/metrics");
        assertThat(status(worker.metricsPort().orElseThrow(), "/metrics")).isEqualTo(200);
    }

    /** Returns the HTTP paths that health checks and probes request on {@code port}. */
    private static List<String> probePaths(String port) throws Exception {
        List<String> paths = new ArrayList<>();
        for (Instruction instruction : DeploymentFiles.dockerfile()) {
            if (instruction.keyword().equals("HEALTHCHECK")) {
                addUrls(instruction.rest(), port, paths);
            }
        }
        DeploymentFiles.compose().path("services").forEach(service ->
                addUrls(String.join(" ", DeploymentFiles.strings(service.path("healthcheck").path("test"))), port,
                        paths));
        for (JsonNode deployment : DeploymentFiles.ofKind(DeploymentFiles.kubernetesObjects(), "Deployment")) {
            JsonNode container = deployment.path("spec").path("template").path("spec").path("containers").path(0);
            for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
                JsonNode get = container.path(probe).path("httpGet");
                if (get.isMissingNode()) {
                    continue;
                }
                for (JsonNode containerPort : container.path("ports")) {
                    boolean same = containerPort.path("name").asText().equals(get.path("port").asText())
                            || containerPort.path("containerPort").asText().equals(get.path("port").asText());
                    if (same && containerPort.path("containerPort").asText().equals(port)) {
                        paths.add(get.path("path").asText());
                    }
                }
            }
        }
        return paths;
    }

    private static void addUrls(String text, String port, List<String> paths) {
        Matcher matcher = URL.matcher(text);
        while (matcher.find()) {
            if (matcher.group(1).equals(port)) {
                paths.add(matcher.group(2));
            }
        }
    }

    private static int status(int port, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
