package dev.moeserve.loadtest.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * KServe v2 REST client: {@code POST /v2/models/{name}/infer} with the images as a UINT8 tensor in JSON,
 * asking only for the {@code label} output.
 */
public final class HttpInferenceClient implements InferenceClient {

    /** Response header in which the router names the policy that served the request. */
    public static final String POLICY_HEADER = "x-moe-policy";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final long METADATA_TIMEOUT_SECONDS = 30;

    private final WebClient web;
    private final Endpoint endpoint;
    private final ClientOptions options;
    private final String path;
    private final List<Buffer> bodies;

    private HttpInferenceClient(WebClient web, Endpoint endpoint, ClientOptions options, List<Buffer> bodies) {
        this.web = web;
        this.endpoint = endpoint;
        this.options = options;
        this.path = "/v2/models/" + options.model() + "/infer";
        this.bodies = bodies;
    }

    /**
     * Reads the model's input name from {@code GET /v2/models/{name}}, then encodes every batch. Blocks for
     * at most 30 s; do not call it on an event loop.
     *
     * @throws IllegalStateException when the model metadata cannot be read
     */
    public static HttpInferenceClient connect(Vertx vertx, Endpoint endpoint, ClientOptions options,
                                              List<RequestBatch> batches) {
        WebClient web = WebClient.create(vertx, new WebClientOptions()
                        .setDefaultHost(endpoint.host())
                        .setDefaultPort(endpoint.port())
                        .setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(options.connections()));
        try {
            String inputName = inputName(web, options.model(), endpoint);
            List<Buffer> bodies = new ArrayList<>();
            for (RequestBatch batch : batches) {
                bodies.add(Buffer.buffer(encode(batch, inputName)));
            }
            return new HttpInferenceClient(web, endpoint, options, bodies);
        } catch (RuntimeException e) {
            web.close();
            throw e;
        }
    }

    @Override
    public CompletableFuture<Reply> infer(int batchIndex, String stickyKey) {
        HttpRequest<Buffer> request = web.post(path)
                .putHeader("content-type", "application/json")
                .timeout(options.requestTimeout().toMillis());
        if (stickyKey != null && options.stickyHeader() != null) {
            request.putHeader(options.stickyHeader(), stickyKey);
        }
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        request.sendBuffer(bodies.get(batchIndex)).onComplete(result -> {
            if (result.failed()) {
                reply.complete(Reply.failed(ErrorKinds.of(result.cause()), null));
            } else {
                reply.complete(read(result.result()));
            }
        });
        return reply;
    }

    @Override
    public int batches() {
        return bodies.size();
    }

    @Override
    public String describe() {
        return "http " + endpoint;
    }

    @Override
    public void close() {
        web.close();
    }

    private static Reply read(HttpResponse<Buffer> response) {
        String policy = response.getHeader(POLICY_HEADER);
        if (response.statusCode() != 200) {
            return Reply.failed(ErrorKinds.ofHttpStatus(response.statusCode()), policy);
        }
        try {
            JsonNode root = JSON.readTree(response.body().getBytes());
            for (JsonNode output : root.path("outputs")) {
                if ("label".equals(output.path("name").asText())) {
                    JsonNode data = output.path("data");
                    long[] labels = new long[data.size()];
                    for (int i = 0; i < labels.length; i++) {
                        labels[i] = data.get(i).asLong();
                    }
                    return Reply.ok(policy, labels);
                }
            }
            return Reply.failed(ErrorKinds.BAD_REPLY, policy);
        } catch (IOException | RuntimeException e) {
            return Reply.failed(ErrorKinds.BAD_REPLY, policy);
        }
    }

    private static String inputName(WebClient web, String model, Endpoint endpoint) {
        HttpResponse<Buffer> response;
        try {
            response = web.get("/v2/models/" + model).send().toCompletionStage().toCompletableFuture()
                    .get(METADATA_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the metadata of model " + model, e);
        } catch (Exception e) {
            throw new IllegalStateException("reading the metadata of model '" + model + "' from http://" + endpoint
                    + " failed: " + e.getMessage() + "; is the router running there?", e);
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET http://" + endpoint + "/v2/models/" + model + " returned "
                    + response.statusCode() + ": " + response.bodyAsString() + "; check --model");
        }
        try {
            return JSON.readTree(response.body().getBytes()).path("inputs").path(0).path("name").asText("images");
        } catch (IOException e) {
            throw new IllegalStateException("the metadata of model " + model + " is not valid JSON: " + e, e);
        }
    }

    /** Writes the infer request body: one UINT8 tensor {@code [B, 28, 28]} and the {@code label} output. */
    static byte[] encode(RequestBatch batch, String inputName) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(batch.pixels().length * 4 + 256);
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            json.writeStartObject();
            json.writeArrayFieldStart("inputs");
            json.writeStartObject();
            json.writeStringField("name", inputName);
            json.writeStringField("datatype", "UINT8");
            json.writeArrayFieldStart("shape");
            json.writeNumber(batch.size());
            json.writeNumber(28);
            json.writeNumber(28);
            json.writeEndArray();
            json.writeArrayFieldStart("data");
            for (byte pixel : batch.pixels()) {
                json.writeNumber(pixel & 0xff);
            }
            json.writeEndArray();
            json.writeEndObject();
            json.writeEndArray();
            json.writeArrayFieldStart("outputs");
            json.writeStartObject();
            json.writeStringField("name", "label");
            json.writeEndObject();
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding an infer request failed", e);
        }
        return out.toByteArray();
    }
}
