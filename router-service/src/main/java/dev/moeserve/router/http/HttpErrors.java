package dev.moeserve.router.http;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.moeserve.router.serving.ErrorMapping;
import dev.moeserve.router.serving.InferenceService;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Writes failures as an HTTP status with the body {@code {"error": "message"}}, mapped by {@link ErrorMapping}. */
final class HttpErrors {

    /** Response header that names the policy that served (or was chosen for) a request. */
    static final String POLICY_HEADER = "x-moe-policy";

    private HttpErrors() {
    }

    /** Writes {@code failure}; {@code policy} is set as {@value #POLICY_HEADER} unless it is null or none. */
    static void respond(HttpServerResponse response, Throwable failure, String policy) {
        if (response.ended() || response.closed()) {
            return;
        }
        ErrorMapping.Mapped mapped = ErrorMapping.map(failure);
        if (policy != null && !InferenceService.NO_POLICY.equals(policy)) {
            response.putHeader(POLICY_HEADER, policy);
        }
        if (mapped.httpStatus() == 429) {
            response.putHeader("retry-after", "1");
        }
        if (mapped.httpStatus() == 401) {
            response.putHeader("www-authenticate", "Bearer realm=\"moe-admin\"");
        }
        response.setStatusCode(mapped.httpStatus())
                .putHeader("content-type", "application/json")
                .end(Buffer.buffer(errorBody(mapped.message())));
    }

    static byte[] errorBody(String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + message.length());
        try (JsonGenerator json = RestCodec.FACTORY.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("error", message);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
