package dev.moeserve.pool;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Executes experts for the router. Implementations: the in-process ONNX Runtime pool
 * ({@link LocalExpertPool}) and the client of remote gRPC workers
 * ({@code dev.moeserve.pool.grpc.RemoteExpertBackend}); both pass the same contract test.
 *
 * <p>{@link #run} returns without waiting for the expert to run. Failures travel in the returned future as the
 * exceptions of {@code dev.moeserve.pool}: {@link ExpertNotFoundException}, {@link InvalidInputException},
 * {@link PoolOverloadedException}, {@link BackendClosedException} and {@link BackendFailureException}.
 */
public interface ExpertBackend extends AutoCloseable {

    /**
     * Runs one expert on {@code tokenCount} tokens of width {@code width}, row-major in {@code tokens},
     * and completes with the outputs in the same layout. {@code tokens} must hold exactly
     * {@code tokenCount * width} finite floats, and the caller must not change it until the future
     * completes. The future may complete on a backend thread, so dependent stages should not block.
     */
    CompletableFuture<float[]> run(ExpertId id, float[] tokens, int tokenCount, int width);

    /** The experts this backend can serve. */
    Set<ExpertId> experts();

    /**
     * Returns the experts of {@code required} that this backend cannot serve now. The in-process pool can
     * serve every expert it loaded. A remote backend also counts experts whose workers all failed their
     * last call or health probe.
     */
    default Set<ExpertId> unavailable(Set<ExpertId> required) {
        Set<ExpertId> missing = new TreeSet<>(required);
        missing.removeAll(experts());
        return missing;
    }

    /** Bytes of expert weights loaded (the sum of the experts' ONNX file sizes). */
    long weightBytes();

    /** Frees sessions and connections; calls in flight complete first. */
    @Override
    void close();
}
