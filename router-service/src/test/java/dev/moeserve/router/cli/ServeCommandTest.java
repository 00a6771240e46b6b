package dev.moeserve.router.cli;

import dev.moeserve.router.testing.TestBundles;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.moeserve.router.testing.RouterFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code moe serve} options: parsing, startup with a policies file and token file, and startup errors. */
@Timeout(300)
class ServeCommandTest {

    @TempDir
    Path dir;

    @Test
    void startsWithPoliciesAndAdminToken() throws Exception {
        Path full = TestBundles.writeFull(dir.resolve("full"), 12);
        Path reduced = TestBundles.writeReduced(dir.resolve("reduced"), 12);
        Path policies = Files.writeString(dir.resolve("policies.json"),
                "{\"arms\": [{\"policy\": \"agf-prior\", \"beta\": 1.0, \"weight\": 90},"
                        + " {\"policy\": \"masked\", \"weight\": 10}], \"shadow\": {\"policy\": \"topk\"},"
                        + " \"stickyHeader\": \"x-user-id\"}");
        Path token = Files.writeString(dir.resolve("token"), "file-token\n");
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--bundle", full.toString(), "--pool", reduced.toString(),
                "--policies", policies.toString(), "--admin-token-file", token.toString(),
                "--http-port", "0", "--grpc-port", "0", "--threads", "2");

        Vertx vertx = Vertx.vertx();
        try (ServeCommand.Running running = command.start()) {
            WebClient client = WebClient.create(vertx);
            int port = running.server().httpPort();
            HttpResponse<Buffer> ready = await(client.request(HttpMethod.GET, port, "127.0.0.1", "/v2/health/ready")
                    .send());
            HttpResponse<Buffer> admin = await(client.request(HttpMethod.GET, port, "127.0.0.1", "/admin/routing")
                    .putHeader("authorization", "Bearer file-token").send());

            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(admin.statusCode()).isEqualTo(200);
            assertThat(admin.bodyAsJsonObject().getJsonArray("arms")).hasSize(2);
            assertThat(admin.bodyAsJsonObject().getJsonObject("shadow").getString("name")).isEqualTo("topk");
            assertThat(admin.bodyAsJsonObject().getString("source")).isEqualTo("policies file " + policies);
        } finally {
            await(vertx.close());
        }
    }

    @Test
    void invalidPoliciesFileFailsStartNamingTheFile() throws Exception {
        Path full = TestBundles.writeFull(dir.resolve("full"), 12);
        Path policies = Files.writeString(dir.resolve("policies.json"), "{\"arms\": [{\"policy\": \"masked\"}]}");
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--bundle", full.toString(), "--policies", policies.toString(),
                "--http-port", "0", "--grpc-port", "0");

        assertThatThrownBy(command::start)
                .hasMessageContaining("policies file " + policies + ": arms[0]: policy masked needs a reduced pool");
        assertThat(new CommandLine(command).execute("--bundle", full.toString(), "--policies", policies.toString(),
                "--http-port", "0", "--grpc-port", "0")).isEqualTo(1);
    }

    @Test
    void missingBundleOptionIsUsageError() {
        StringWriter err = new StringWriter();
        CommandLine line = new CommandLine(new ServeCommand()).setErr(new PrintWriter(err));

        int exit = line.execute("--http-port", "0");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--bundle=DIR'");
    }
}
