package dev.moeserve.router.metrics;

import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /metrics} serves the router's, Vert.x's and the JVM's meters with the values requests produced. */
@Timeout(300)
class MetricsEndpointTest {

    @TempDir
    Path dir;

    @Test
    void requestsShowUpInMeters() {
        Path full = TestBundles.writeFull(dir.resolve("full"), 9);
        try (RouterFixture router = RouterFixture.start(ServingModel.load(full, null), RouterFixture.options())) {
            for (int i = 0; i < 3; i++) {
                int status = router.infer(TestImages.fp32Request(TestImages.floats(2, i), 2)).statusCode();
                assertThat(status).isEqualTo(200);
            }
            router.post(router.inferPath(), "{");

            MeterRegistry registry = router.server().registry();
            for (int layer = 0; layer < 2; layer++) {
                String tag = Integer.toString(layer);
                double tokens = registry.get("moe.expert.tokens").tag("layer", tag).tag("policy", "topk").counters()
                        .stream().mapToDouble(Counter::count).sum();
                assertThat(tokens).as("tokens routed in layer %d: images x tokens x k", layer).isEqualTo(6 * 50 * 2);
                assertThat(registry.get("moe.layer.balancedness").tag("layer", tag).gauge().value())
                        .as("balancedness of layer %d", layer).isBetween(0.25, 1.0);
                assertThat(registry.get("moe.routing.duration").tag("layer", tag).timer().count()).isEqualTo(3);
                assertThat(registry.get("moe.pool.size").tag("layer", tag).tag("policy", "topk").gauge().value())
                        .isEqualTo(4.0);
                assertThat(registry.get("moe.backend.experts").tag("layer", tag).gauge().value()).isEqualTo(4.0);
            }
            assertThat(registry.get("moe.request.duration").tag("policy", "topk").tag("protocol", "http").timer()
                    .count()).isEqualTo(3);
            assertThat(registry.get("moe.requests").tag("status", "ok").counter().count()).isEqualTo(3.0);
            assertThat(registry.get("moe.requests").tag("status", "invalid_argument").tag("policy", "none")
                    .counter().count()).isEqualTo(1.0);
            assertThat(registry.get("moe.images").tag("policy", "topk").counter().count()).isEqualTo(6.0);
            assertThat(registry.get("moe.policy.table.version").gauge().value()).isEqualTo(1.0);

            HttpResponse<Buffer> scrape = router.get("/metrics");
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.getHeader("content-type")).startsWith("text/plain");
            String text = scrape.bodyAsString();
            for (String series : List.of(
                    "moe_expert_tokens_total{expert=\"0\",layer=\"0\",model=\"test-vit-moe\",policy=\"topk\"}",
                    "moe_layer_balancedness{layer=\"1\",model=\"test-vit-moe\",policy=\"topk\"}",
                    "moe_request_duration_seconds_bucket{",
                    "moe_routing_duration_seconds_bucket{",
                    "moe_requests_total{",
                    "moe_images_total{",
                    "moe_pool_size{",
                    "moe_backend_experts{",
                    "moe_requests_active{",
                    "moe_policy_table_version{",
                    "moe_policy_swaps_total{",
                    "vertx_http_server_requests_total{",
                    "jvm_memory_used_bytes{")) {
                assertThat(text).as("series %s", series).contains(series);
            }
        }
    }
}
