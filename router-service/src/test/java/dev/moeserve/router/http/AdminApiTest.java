package dev.moeserve.router.http;

import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static dev.moeserve.router.testing.RouterFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code /admin/routing}: bearer-token checks, showing and replacing the policy table. */
@Timeout(300)
class AdminApiTest {

    private static final String TOKEN = "s3cret-token";
    private static final Map<String, String> AUTHORIZED = Map.of("authorization", "Bearer " + TOKEN);

    @TempDir
    static Path dir;

    static Path full;
    static Path reduced;
    static RouterFixture router;

    @BeforeAll
    static void start() {
        full = TestBundles.writeFull(dir.resolve("full"), 4);
        reduced = TestBundles.writeReduced(dir.resolve("reduced"), 4);
        router = RouterFixture.start(ServingModel.load(full, reduced), RouterFixture.options().adminToken(TOKEN));
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.close();
        }
    }

    @Test
    void missingTokenIs401() {
        HttpResponse<Buffer> response = router.get("/admin/routing");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.getHeader("www-authenticate")).startsWith("Bearer");
        assertThat(response.bodyAsJsonObject().getString("error")).contains("Authorization: Bearer TOKEN");
    }

    @Test
    void wrongTokenIs403() {
        HttpResponse<Buffer> get = await(router.send(HttpMethod.GET, "/admin/routing", null,
                Map.of("authorization", "Bearer wrong")));
        HttpResponse<Buffer> put = await(router.send(HttpMethod.PUT, "/admin/routing",
                Buffer.buffer("{\"arms\": [{\"policy\": \"masked\"}]}"), Map.of("authorization", "Bearer wrong")));

        assertThat(get.statusCode()).isEqualTo(403);
        assertThat(get.bodyAsJsonObject().getString("error")).isEqualTo("the admin token is not valid");
        assertThat(put.statusCode()).isEqualTo(403);
    }

    @Test
    void showAndReplaceTable() {
        long before = router.server().policyTable().current().version();

        HttpResponse<Buffer> shown = await(router.send(HttpMethod.GET, "/admin/routing", null, AUTHORIZED));
        HttpResponse<Buffer> replaced = await(router.send(HttpMethod.PUT, "/admin/routing", Buffer.buffer("""
                {"arms": [{"policy": "agf-prior", "beta": 0.5, "weight": 3}, {"policy": "masked", "weight": 1}],
                 "stickyHeader": "x-user-id"}"""), AUTHORIZED));

        assertThat(shown.statusCode()).isEqualTo(200);
        assertThat(shown.bodyAsJsonObject().getLong("version")).isEqualTo(before);
        assertThat(replaced.statusCode()).as(replaced.bodyAsString()).isEqualTo(200);
        JsonObject table = replaced.bodyAsJsonObject();
        assertThat(table.getLong("version")).isEqualTo(before + 1);
        assertThat(table.getString("source")).isEqualTo("admin");
        assertThat(table.getString("stickyHeader")).isEqualTo("x-user-id");
        assertThat(table.getJsonArray("arms").getJsonObject(0).getDouble("share")).isEqualTo(0.75);
        assertThat(table.getJsonObject("table").getJsonArray("arms").getJsonObject(0).getDouble("beta")).isEqualTo(0.5);
        assertThat(await(router.send(HttpMethod.GET, "/admin/routing", null, AUTHORIZED)).bodyAsJsonObject()
                .getLong("version")).isEqualTo(before + 1);

        HttpResponse<Buffer> served = router.post(router.inferPath(),
                TestImages.fp32Request(TestImages.floats(1, 1), 1).encode(), Map.of("x-user-id", "alice"));
        assertThat(served.getHeader("x-moe-policy")).isIn("agf-prior", "masked");
    }

    @Test
    void invalidTableIs400AndKeepsTable() {
        long before = router.server().policyTable().current().version();

        HttpResponse<Buffer> malformed = await(router.send(HttpMethod.PUT, "/admin/routing", Buffer.buffer("{"),
                AUTHORIZED));
        HttpResponse<Buffer> unknownField = await(router.send(HttpMethod.PUT, "/admin/routing",
                Buffer.buffer("{\"arms\": [{\"policy\": \"masked\", \"wieght\": 1}]}"), AUTHORIZED));
        HttpResponse<Buffer> badBeta = await(router.send(HttpMethod.PUT, "/admin/routing",
                Buffer.buffer("{\"arms\": [{\"policy\": \"agf-prior\", \"beta\": -2}]}"), AUTHORIZED));

        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(unknownField.statusCode()).isEqualTo(400);
        assertThat(unknownField.bodyAsJsonObject().getString("error"))
                .contains("admin: arms[0]: unknown field 'wieght'");
        assertThat(badBeta.statusCode()).isEqualTo(400);
        assertThat(badBeta.bodyAsJsonObject().getString("error"))
                .isEqualTo("admin: arms[0].beta must be between 0 and 100.0, got -2.0");
        assertThat(router.server().policyTable().current().version()).isEqualTo(before);
    }

    @Test
    void adminBodyAboveLimitIs413() {
        HttpResponse<Buffer> response = await(router.send(HttpMethod.PUT, "/admin/routing",
                Buffer.buffer(" ".repeat(HttpApi.ADMIN_BODY_LIMIT + 1)), AUTHORIZED));

        assertThat(response.statusCode()).isEqualTo(413);
    }

    @Test
    void adminApiWithoutTokenIsDisabled() {
        try (RouterFixture open = RouterFixture.start(ServingModel.load(full, reduced), RouterFixture.options())) {
            for (Map<String, String> headers : java.util.List.of(Map.<String, String>of(), AUTHORIZED,
                    Map.of("authorization", "Bearer "))) {
                HttpResponse<Buffer> get = await(open.send(HttpMethod.GET, "/admin/routing", null, headers));
                HttpResponse<Buffer> put = await(open.send(HttpMethod.PUT, "/admin/routing",
                        Buffer.buffer("{\"arms\": [{\"policy\": \"masked\"}]}"), headers));
                assertThat(get.statusCode()).as("GET with %s", headers).isEqualTo(403);
                assertThat(put.statusCode()).as("PUT with %s", headers).isEqualTo(403);
                assertThat(get.bodyAsJsonObject().getString("error")).contains("the admin API is disabled");
            }
            assertThat(open.server().policyTable().current().version()).isEqualTo(1);
        }
    }
}
