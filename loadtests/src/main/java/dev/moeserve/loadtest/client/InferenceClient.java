package dev.moeserve.loadtest.client;

import java.util.concurrent.CompletableFuture;

/**
 * Something that serves inference requests for the load generator: the router over REST or gRPC, or the
 * in-process pipeline. Request bodies are encoded once, when the client is created, so that the load
 * loop measures the server and not the encoder.
 */
public interface InferenceClient extends AutoCloseable {

    /**
     * Sends the request built from batch {@code batchIndex}. The future completes with a {@link Reply},
     * never exceptionally; failures and timeouts are replies with an error kind.
     *
     * @param stickyKey value of the sticky header that keeps a caller on one A/B arm, or null for none
     */
    CompletableFuture<Reply> infer(int batchIndex, String stickyKey);

    /** Number of distinct request bodies this client can send. */
    int batches();

    /** Returns what the client sends to, for reports: {@code http 127.0.0.1:8080}. */
    String describe();

    @Override
    void close();
}
