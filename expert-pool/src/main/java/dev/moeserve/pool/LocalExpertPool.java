package dev.moeserve.pool;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-process expert pool: one ONNX Runtime session per expert, calls executed on a bounded
 * executor so that callers never block.
 */
public final class LocalExpertPool implements ExpertBackend {

    private static final Logger LOG = LoggerFactory.getLogger(LocalExpertPool.class);

    /** Calls that may wait for an executor thread before new ones are rejected. */
    public static final int DEFAULT_QUEUE_CAPACITY = 4096;

    private final Map<ExpertId, ExpertSession> sessions;
    private final ThreadPoolExecutor executor;
    private final long weightBytes;

    private LocalExpertPool(Map<ExpertId, ExpertSession> sessions, int threads, int queueCapacity) {
        this.sessions = Collections.unmodifiableMap(sessions);
        AtomicInteger counter = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueCapacity), r -> {
                    Thread t = new Thread(r, "expert-pool-" + counter.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.weightBytes = sessions.values().stream().mapToLong(ExpertSession::fileBytes).sum();
    }

    /** Loads the given expert files, one session each, on the CPU. */
    public static LocalExpertPool load(Map<ExpertId, Path> files) {
        Map<ExpertId, ExpertSession> sessions = new TreeMap<>();
        try (OrtSession.SessionOptions options = OrtRuntime.cpuSessionOptions()) {
            for (Map.Entry<ExpertId, Path> entry : files.entrySet()) {
                byte[] onnx = Files.readAllBytes(entry.getValue());
                sessions.put(entry.getKey(), new ExpertSession(entry.getKey(), onnx, options));
            }
        } catch (IOException e) {
            sessions.values().forEach(ExpertSession::close);
            throw new UncheckedIOException("reading an expert file failed: " + e.getMessage(), e);
        } catch (OrtException e) {
            sessions.values().forEach(ExpertSession::close);
            throw new BackendFailureException("ONNX Runtime could not load an expert: " + e.getMessage(), e);
        }
        LocalExpertPool pool = new LocalExpertPool(sessions, Math.max(1, OrtRuntime.threads()), DEFAULT_QUEUE_CAPACITY);
        LOG.info("Loaded {} experts ({} bytes of weights) on the CPU", sessions.size(), pool.weightBytes);
        return pool;
    }

    @Override
    public CompletableFuture<float[]> run(ExpertId id, float[] tokens, int tokenCount, int width) {
        ExpertSession session = sessions.get(id);
        if (session == null) {
            return CompletableFuture.failedFuture(new ExpertNotFoundException("expert " + id + " is not in this pool"));
        }
        if (tokens.length < tokenCount * width) {
            return CompletableFuture.failedFuture(new InvalidInputException("expert " + id + ": tokens must hold "
                    + tokenCount + " x " + width + " floats, got " + tokens.length));
        }
        CompletableFuture<float[]> future = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    future.complete(session.run(tokens, tokenCount, width));
                } catch (OrtException | RuntimeException e) {
                    future.completeExceptionally(new BackendFailureException(
                            "expert " + id + " failed in ONNX Runtime: " + e.getMessage(), e));
                }
            });
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(new PoolOverloadedException("expert pool queue is full ("
                    + executor.getQueue().size() + " calls waiting)"));
        }
        return future;
    }

    @Override
    public Set<ExpertId> experts() {
        return sessions.keySet();
    }

    @Override
    public long weightBytes() {
        return weightBytes;
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Expert calls still running after 30 s; closing sessions anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sessions.values().forEach(ExpertSession::close);
    }
}
