package dev.moeserve.pool;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Executes experts for the router. Implementations: the in-process ONNX Runtime pool and the client
 * of remote gRPC workers; both pass the same contract test.
 *
 * <p>{@link #run} never blocks the calling thread. Failures travel in the returned future as the
 * exceptions of {@code dev.moeserve.pool} ({@link ExpertNotFoundException}, {@link InvalidInputException},
 * {@link PoolOverloadedException}, {@link BackendFailureException}).
 */
public interface ExpertBackend extends AutoCloseable {

    /**
     * Runs one expert on {@code tokenCount} tokens of width {@code width}, row-major in {@code tokens},
     * and completes with the outputs in the same layout.
     */
    CompletableFuture<float[]> run(ExpertId id, float[] tokens, int tokenCount, int width);

    /** The experts this backend can serve. */
    Set<ExpertId> experts();

    /** Bytes of expert weights loaded (the sum of the experts' ONNX file sizes). */
    long weightBytes();

    /** Frees sessions and connections; calls in flight complete first. */
    @Override
    void close();
}
