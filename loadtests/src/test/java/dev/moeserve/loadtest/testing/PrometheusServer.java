package dev.moeserve.loadtest.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code prometheus} binary started on 127.0.0.1 with a given configuration, and a client of its
 * HTTP API. Every wait is bounded.
 */
public final class PrometheusServer implements AutoCloseable {

    /** Where Debian's package installs the binary. */
    public static final Path DEBIAN_BINARY = Path.of("/usr/bin/prometheus");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Returns the binary: Debian's location, or {@code prometheus} on the PATH, or empty. */
    public static Optional<Path> binary() {
        if (Files.isExecutable(DEBIAN_BINARY)) {
            return Optional.of(DEBIAN_BINARY);
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                Path candidate = Path.of(dir, "prometheus");
                if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Starts {@code binary} with {@code config} on a free loopback port, keeping its data and log under
     * {@code workDir}, and waits up to {@code readyTimeout} for {@code /-/ready}.
     */
    public static PrometheusServer start(Path binary, Path config, Path workDir, Duration readyTimeout)
            throws IOException, InterruptedException {
        int port = freeLoopbackPort();
        Path log = workDir.resolve("prometheus.log");
        Process process = new ProcessBuilder(binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + workDir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        PrometheusServer server = new PrometheusServer(process, port, log);
        try {
            server.awaitReady(readyTimeout);
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** Runs an instant query and returns the response. */
    public QueryResult query(String promql) throws IOException, InterruptedException {
        return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    }

    /** Returns the series matching {@code selector}, from {@code /api/v1/series}. */
    public QueryResult series(String selector) throws IOException, InterruptedException {
        return get("/api/v1/series?match[]=" + URLEncoder.encode(selector, StandardCharsets.UTF_8));
    }

    /**
     * A response of the HTTP API.
     *
     * @param error the error type and message when the status was not success, else null
     * @param data  the {@code data} node of a successful response
     */
    public record QueryResult(String error, JsonNode data) {

        /** Returns the result series of a query, or the series list of a series request. */
        public JsonNode results() {
            return data.has("result") ? data.get("result") : data;
        }
    }

    /** Returns the last lines of the server's log, for failure messages. */
    public String logTail() {
        try {
            String text = Files.readString(log);
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(log " + log + " not readable: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private QueryResult get(String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        if (!"success".equals(body.path("status").asText())) {
            return new QueryResult(body.path("errorType").asText() + ": " + body.path("error").asText(), null);
        }
        return new QueryResult(null, body.get("data"));
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("prometheus exited with " + process.exitValue() + ": " + logTail());
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("prometheus was not ready within " + timeout.toSeconds() + " s: " + logTail());
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
