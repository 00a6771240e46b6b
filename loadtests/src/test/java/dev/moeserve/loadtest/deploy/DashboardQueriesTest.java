package dev.moeserve.loadtest.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.moeserve.loadtest.client.ClientOptions;
import dev.moeserve.loadtest.client.GrpcInferenceClient;
import dev.moeserve.loadtest.client.HttpInferenceClient;
import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.Reply;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.scenario.InProcessRouter;
import dev.moeserve.loadtest.scenario.TestImages;
import dev.moeserve.loadtest.testing.PrometheusServer;
import dev.moeserve.loadtest.testing.RepositoryFiles;
import dev.moeserve.loadtest.testing.TinyBundles;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.grpc.ExpertWorkerServer;
import dev.moeserve.pool.grpc.WorkerOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Evaluates every PromQL expression of deploy/grafana/dashboards/moe.json in Debian's Prometheus, which
 * scrapes a router and an expert worker started in this process, every second, while they serve a small
 * load. An expression fails the test when Prometheus rejects it or when it returns no series.
 *
 * <p>Grafana's variables are replaced before evaluation: {@code $__rate_interval} by 30s, {@code $__range}
 * by 5m, and each dashboard variable by its "All" value, or else by the first value its
 * {@code label_values} query finds.
 */
class DashboardQueriesTest {

    private static final Path DASHBOARD = RepositoryFiles.resolve("deploy/grafana/dashboards/moe.json");
    private static final Path DATASOURCES = RepositoryFiles.resolve(
            "deploy/grafana/provisioning/datasources/prometheus.yml");

    /** The router's table: every policy kind serves, so that the cascade and shadow panels have series. */
    private static final String POLICIES = """
            arms:
              - policy: topk
              - policy: agf-prior
                beta: 1.0
              - policy: cascade
                tau: 0.99
            shadow:
              policy: masked
            """;

    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.*),\\s*([a-zA-Z_]+)\\)");
    private static final Duration SCRAPE_WAIT = Duration.ofSeconds(60);
    private static final Duration LOAD_TIME = Duration.ofSeconds(6);
    private static final int MAX_LOAD_REQUESTS = 600;

    @TempDir
    static Path work;

    private static PrometheusServer prometheus;
    private static ExpertWorkerServer worker;
    private static InProcessRouter router;
    private static Vertx vertx;

    @BeforeAll
    static void startStack() throws Exception {
        Path binary = PrometheusServer.binary().orElse(null);
        Assumptions.assumeTrue(binary != null, "the prometheus binary is not installed (Debian package "
                + "'prometheus'; scripts/test.sh installs it), so the dashboard queries cannot be evaluated");

        TinyBundles.Pair bundles = TinyBundles.write(work.resolve("bundles"));
        PrometheusMeterRegistry workerRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LocalExpertPool pool = LocalExpertPool.fromBundle(Bundle.open(bundles.full()), ExpertSelection.all(),
                PoolOptions.defaults(), workerRegistry);
        worker = ExpertWorkerServer.start(pool, WorkerOptions.builder().host("127.0.0.1").port(0).metricsPort(0)
                .build(), workerRegistry);

        Path policies = work.resolve("policies.yaml");
        Files.writeString(policies, POLICIES);
        router = InProcessRouter.start(bundles.full(), bundles.reduced(), List.of(worker.address()),
                List.of("--policies", policies.toString(), "--threads", "2"));

        Path config = work.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: moe-router
                    metrics_path: /metrics
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                  - job_name: moe-workers
                    metrics_path: /metrics
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(router.http().port(), worker.metricsPort().orElseThrow()));
        prometheus = PrometheusServer.start(binary, config, work, Duration.ofSeconds(60));
        vertx = Vertx.vertx();

        sendInvalidRequests();
        sendLoad();
        awaitScrapes();
    }

    @AfterAll
    static void stopStack() throws Exception {
        if (prometheus != null) {
            prometheus.close();
        }
        if (router != null) {
            router.close();
        }
        if (worker != null) {
            worker.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyPanelQueryReturnsSeries() throws Exception {
        Map<String, String> variables = variableValues();
        Map<String, String> failures = new LinkedHashMap<>();
        int evaluated = 0;
        for (Map.Entry<String, String> query : panelQueries().entrySet()) {
            String promql = substitute(query.getValue(), variables);
            PrometheusServer.QueryResult result = prometheus.query(promql);
            evaluated++;
            if (result.error() != null) {
                failures.put(query.getKey(), "rejected: " + result.error() + " in " + promql);
            } else if (result.results().isEmpty()) {
                failures.put(query.getKey(), "no series: " + promql);
            }
        }

        assertThat(evaluated).as("queries in the dashboard").isGreaterThanOrEqualTo(15);
        assertThat(failures).as("dashboard queries that failed (Prometheus log: %s)", prometheus.logTail()).isEmpty();
    }

    @Test
    void everyVariableFindsValues() throws Exception {
        for (JsonNode variable : dashboard().path("templating").path("list")) {
            String name = variable.path("name").asText();
            List<String> values = labelValues(variable.path("query").path("query").asText());

            assertThat(values).as("values of dashboard variable %s", name).isNotEmpty();
        }
    }

    @Test
    void panelsUseProvisionedDataSource() throws Exception {
        String uid = new YAMLMapper().readTree(DATASOURCES.toFile()).path("datasources").path(0).path("uid").asText();
        List<String> used = new ArrayList<>();
        for (JsonNode panel : allPanels()) {
            used.add(panel.path("type").asText().equals("row") ? uid : panel.path("datasource").path("uid").asText());
            for (JsonNode target : panel.path("targets")) {
                used.add(target.path("datasource").path("uid").asText());
            }
        }

        assertThat(uid).isNotBlank();
        assertThat(used).containsOnly(uid);
    }

    /** Returns every target expression of the dashboard, keyed by panel title and refId. */
    private static Map<String, String> panelQueries() throws Exception {
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode panel : allPanels()) {
            for (JsonNode target : panel.path("targets")) {
                queries.put(panel.path("title").asText() + " [" + target.path("refId").asText() + "]",
                        target.path("expr").asText());
            }
        }
        return queries;
    }

    private static List<JsonNode> allPanels() throws Exception {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard().path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    private static JsonNode dashboard() throws Exception {
        return new ObjectMapper().readTree(DASHBOARD.toFile());
    }

    /** Value of each dashboard variable: its "All" regex when it has one, else the first value found. */
    private static Map<String, String> variableValues() throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        for (JsonNode variable : dashboard().path("templating").path("list")) {
            String name = variable.path("name").asText();
            if (variable.path("includeAll").asBoolean() && variable.hasNonNull("allValue")) {
                values.put(name, variable.get("allValue").asText());
                continue;
            }
            List<String> found = labelValues(variable.path("query").path("query").asText());
            assertThat(found).as("values of dashboard variable %s", name).isNotEmpty();
            values.put(name, found.get(0));
        }
        return values;
    }

    private static String substitute(String expr, Map<String, String> variables) {
        String result = expr.replace("$__rate_interval", "30s").replace("$__range", "5m");
        for (Map.Entry<String, String> variable : variables.entrySet()) {
            result = result.replace("$" + variable.getKey(), variable.getValue());
        }
        assertThat(result).as("expression with every variable replaced").doesNotContain("$");
        return result;
    }

    /** Evaluates {@code label_values(selector, label)} like Grafana: the label's values over matching series. */
    private static List<String> labelValues(String query) throws Exception {
        Matcher matcher = LABEL_VALUES.matcher(query.trim());
        assertThat(matcher.matches()).as("variable query %s is label_values(selector, label)", query).isTrue();
        PrometheusServer.QueryResult series = prometheus.series(matcher.group(1));
        assertThat(series.error()).as("series of %s", matcher.group(1)).isNull();
        List<String> values = new ArrayList<>();
        for (JsonNode labels : series.results()) {
            String value = labels.path(matcher.group(2)).asText("");
            if (!value.isEmpty() && !values.contains(value)) {
                values.add(value);
            }
        }
        values.sort(null);
        return values;
    }

    /** Sends requests the router rejects, so that the error panels have series. */
    private static void sendInvalidRequests() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI infer = URI.create("http://127.0.0.1:" + router.http().port() + "/v2/models/" + TinyBundles.NAME + "/infer");
        for (int i = 0; i < 3; i++) {
            HttpRequest request = HttpRequest.newBuilder(infer).timeout(Duration.ofSeconds(10))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\": []}")).build();
            assertThat(http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(400);
        }
    }

    /** Sends inference requests over REST and gRPC for {@link #LOAD_TIME}, at most {@link #MAX_LOAD_REQUESTS}. */
    private static void sendLoad() throws Exception {
        List<RequestBatch> batches = TestImages.batches(RepositoryFiles.resolve("data/fashion-mnist"), 4, 64);
        ClientOptions options = new ClientOptions(TinyBundles.NAME, 4, Duration.ofSeconds(20), null);
        try (InferenceClient rest = HttpInferenceClient.connect(vertx, router.http(), options, batches);
             InferenceClient grpc = GrpcInferenceClient.connect(vertx, router.grpc(), options, batches)) {
            long deadline = System.nanoTime() + LOAD_TIME.toNanos();
            int sent = 0;
            while (System.nanoTime() < deadline && sent < MAX_LOAD_REQUESTS) {
                int index = sent % batches.size();
                List<CompletableFuture<Reply>> pair = List.of(rest.infer(index, null), grpc.infer(index, null));
                for (CompletableFuture<Reply> reply : pair) {
                    assertThat(reply.get(30, TimeUnit.SECONDS).error()).as("error of a load request").isNull();
                }
                sent += 2;
            }
        }
    }

    /** Waits until Prometheus has scraped both jobs at least twice since the load, at most 60 s. */
    private static void awaitScrapes() throws Exception {
        long deadline = System.nanoTime() + SCRAPE_WAIT.toNanos();
        String check = "min(count_over_time(up{job=~\"moe-router|moe-workers\"}[30s])) >= 3 "
                + "and on() count(count by (job) (up == 1)) == 2";
        while (System.nanoTime() < deadline) {
            PrometheusServer.QueryResult result = prometheus.query(check);
            if (result.error() == null && !result.results().isEmpty()) {
                Thread.sleep(2000);
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("Prometheus did not scrape the router and the worker within "
                + SCRAPE_WAIT.toSeconds() + " s; its log: " + prometheus.logTail());
    }
}
