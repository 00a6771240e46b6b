package dev.moeserve.loadtest.client;

import java.time.Duration;

/**
 * Settings shared by the REST and gRPC clients.
 *
 * @param model          served model name, the {@code {name}} of {@code /v2/models/{name}/infer}
 * @param connections    HTTP/1.1 connections the REST client may open, at least 1; the gRPC client
 *                       multiplexes over one HTTP/2 connection
 * @param requestTimeout time after which a request fails with kind {@code timeout}
 * @param stickyHeader   request header that carries the sticky key, or null to send none
 */
public record ClientOptions(String model, int connections, Duration requestTimeout, String stickyHeader) {

    public ClientOptions {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank");
        }
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be >= 1, got " + connections);
        }
        if (requestTimeout == null || requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new IllegalArgumentException("requestTimeout must be a positive duration, got " + requestTimeout);
        }
    }
}
