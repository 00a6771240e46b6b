package dev.moeserve.pool;

import ai.onnxruntime.OrtException;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.MoeLayerSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The in-process expert pool: one ONNX Runtime session per expert in the process-wide environment, and
 * one {@link MicroBatcher} per expert in front of it. {@link #run} validates the call on the caller's
 * thread and hands it to the batcher without waiting for the run.
 *
 * <p>Futures complete on the pool's runner threads. Dependent stages that block delay the other calls of
 * the same batch, so callers should keep them short or pass an executor.
 */
public final class LocalExpertPool implements ExpertBackend {

    private static final Logger LOG = LoggerFactory.getLogger(LocalExpertPool.class);

    private final SortedMap<ExpertId, Expert> experts;
    private final PoolOptions options;
    private final ExecutionProvider executionProvider;
    private final String device;
    private final String fallbackReason;
    private final OrtRuntime.ProviderSelection provider;
    private final ThreadPoolExecutor runners;
    private final ScheduledExecutorService scheduler;
    private final PoolMetrics metrics;
    private final long weightBytes;
    private final AtomicBoolean closing = new AtomicBoolean();

    private LocalExpertPool(SortedMap<ExpertId, ExpertSession> sessions, OrtRuntime.ProviderSelection provider,
                            PoolOptions options, MeterRegistry registry) {
        this.options = options;
        this.provider = provider;
        this.executionProvider = provider.provider();
        this.device = provider.device();
        this.fallbackReason = provider.fallbackReason();
        this.runners = new ThreadPoolExecutor(options.runnerThreads(), options.runnerThreads(), 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), PoolThreads.factory("expert-runner"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(PoolThreads.factory("expert-batch-timer"));
        this.metrics = new PoolMetrics(registry);
        this.weightBytes = sessions.values().stream().mapToLong(ExpertSession::fileBytes).sum();

        SortedMap<ExpertId, Expert> loaded = new TreeMap<>();
        for (ExpertSession session : sessions.values()) {
            Expert expert = new Expert(session);
            PoolMetrics.ExpertMeters meters = metrics.expert(session.id(), expert::queuedCalls);
            expert.batcher = new MicroBatcher(session.id(), new SessionKernel(session), runners, scheduler, meters,
                    options);
            expert.meters = meters;
            loaded.put(session.id(), expert);
        }
        this.experts = Collections.unmodifiableSortedMap(loaded);
        metrics.registerPool(this);
    }

    /** Loads every expert of the bundle's pool with the given options and a private metrics registry. */
    public static LocalExpertPool fromBundle(Bundle bundle, PoolOptions options) {
        return fromBundle(bundle, ExpertSelection.all(), options, new SimpleMeterRegistry());
    }

    /** Loads the selected experts of the bundle's pool with a private metrics registry. */
    public static LocalExpertPool fromBundle(Bundle bundle, ExpertSelection selection, PoolOptions options) {
        return fromBundle(bundle, selection, options, new SimpleMeterRegistry());
    }

    /**
     * Loads the selected experts of the bundle's pool, registering the pool's meters in {@code registry}.
     *
     * @throws IllegalArgumentException when the selection is empty or names experts the pool does not keep
     * @throws BackendFailureException  when ONNX Runtime cannot load an expert, or its width differs from
     *                                  the manifest's
     */
    public static LocalExpertPool fromBundle(Bundle bundle, ExpertSelection selection, PoolOptions options,
                                             MeterRegistry registry) {
        SortedMap<ExpertId, Path> files = new TreeMap<>();
        Map<ExpertId, Integer> widths = new TreeMap<>();
        for (MoeLayerSpec layer : bundle.manifest().layers()) {
            for (int expert : layer.keptExperts()) {
                ExpertId id = new ExpertId(layer.index(), expert);
                files.put(id, bundle.expertFile(layer.index(), expert));
                widths.put(id, layer.width());
            }
        }
        SortedSet<ExpertId> selected = selection.select(new TreeSet<>(files.keySet()));
        files.keySet().retainAll(selected);
        LOG.info("Loading {} of the {} experts of {} ({})", selected.size(), widths.size(), bundle, selection);
        return load(files, widths, options, registry);
    }

    /** Loads the given expert files with the default options and a private metrics registry. */
    public static LocalExpertPool load(Map<ExpertId, Path> files) {
        return load(files, PoolOptions.defaults(), new SimpleMeterRegistry());
    }

    /**
     * Loads the given expert files, one session each.
     *
     * @throws BackendFailureException when a file cannot be read or ONNX Runtime cannot load it
     */
    public static LocalExpertPool load(Map<ExpertId, Path> files, PoolOptions options, MeterRegistry registry) {
        return load(files, Map.of(), options, registry);
    }

    private static LocalExpertPool load(Map<ExpertId, Path> files, Map<ExpertId, Integer> expectedWidths,
                                        PoolOptions options, MeterRegistry registry) {
        OrtRuntime.environment(options.intraOpThreads());
        OrtRuntime.ProviderSelection provider;
        try {
            provider = OrtRuntime.sessionOptions(options.executionProvider(), options.cudaDeviceId());
        } catch (OrtException e) {
            throw new BackendFailureException("ONNX Runtime session options could not be created: " + e.getMessage(), e);
        }
        SortedMap<ExpertId, ExpertSession> sessions = ExpertLoader.load(files, expectedWidths, provider);
        LocalExpertPool pool = new LocalExpertPool(sessions, provider, options, registry);
        LOG.info("Loaded {} experts ({} bytes of weights) on {}; batch window {} us, at most {} tokens per batch, "
                        + "{} waiting calls per expert", sessions.size(), pool.weightBytes, pool.device,
                options.batchWindow().toNanos() / 1000, options.maxBatchTokens(), options.queueCapacity());
        return pool;
    }

    @Override
    public CompletableFuture<float[]> run(ExpertId id, float[] tokens, int tokenCount, int width) {
        if (closing.get()) {
            return CompletableFuture.failedFuture(new BackendClosedException("the expert pool is closing"));
        }
        Expert expert = id == null ? null : experts.get(id);
        if (expert == null) {
            return CompletableFuture.failedFuture(new ExpertNotFoundException("expert " + id
                    + " is not in this pool, which holds " + ExpertId.describe(experts.keySet())));
        }
        InvalidInputException invalid = InputValidation.check(id, expert.session.width(), tokens, tokenCount, width);
        if (invalid != null) {
            expert.meters.invalidInput().increment();
            return CompletableFuture.failedFuture(invalid);
        }
        if (tokenCount == 0) {
            return CompletableFuture.completedFuture(new float[0]);
        }
        return expert.batcher.submit(tokens, tokenCount);
    }

    @Override
    public Set<ExpertId> experts() {
        return experts.keySet();
    }

    @Override
    public long weightBytes() {
        return weightBytes;
    }

    /** Returns the loaded experts with their widths and file sizes, sorted by id. */
    public List<LoadedExpert> loadedExperts() {
        List<LoadedExpert> list = new ArrayList<>();
        for (Expert expert : experts.values()) {
            list.add(new LoadedExpert(expert.session.id(), expert.session.width(), expert.session.fileBytes()));
        }
        return list;
    }

    /** Returns the provider the sessions run on, which is CPU after a CUDA fallback. */
    public ExecutionProvider executionProvider() {
        return executionProvider;
    }

    /** Returns the device label for health and metrics: {@code cpu} or {@code cuda:N}. */
    public String device() {
        return device;
    }

    /** Returns ONNX Runtime's error when CUDA was requested but the pool fell back to the CPU. */
    public Optional<String> fallbackReason() {
        return Optional.ofNullable(fallbackReason);
    }

    public PoolOptions options() {
        return options;
    }

    /** Returns the registry that contains this pool's meters. */
    public MeterRegistry meterRegistry() {
        return metrics.registry();
    }

    /** Returns the calls waiting in all batchers. */
    public int queuedCalls() {
        return experts.values().stream().mapToInt(Expert::queuedCalls).sum();
    }

    /**
     * Stops accepting calls, runs the waiting ones at once without waiting for their batch window, waits
     * up to {@link PoolOptions#drainTimeout()} for them, then frees the sessions. Calls made after this
     * starts fail with {@link BackendClosedException}.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        long started = System.nanoTime();
        boolean drained = drain();

        runners.shutdown();
        scheduler.shutdownNow();
        metrics.remove();
        if (drained && awaitRunners(started)) {
            experts.values().forEach(expert -> expert.session.close());
            provider.close();
            LOG.info("Closed the expert pool of {} experts", experts.size());
        } else {
            // Closing a session while ONNX Runtime still runs it can crash the process, so the sessions leak.
            LOG.warn("Expert calls still run {} ms after close; the sessions are left open",
                    options.drainTimeout().toMillis());
        }
    }

    private boolean drain() {
        List<CompletableFuture<Void>> drains = new ArrayList<>();
        for (Expert expert : experts.values()) {
            drains.add(expert.batcher.close());
        }
        try {
            CompletableFuture.allOf(drains.toArray(new CompletableFuture[0]))
                    .get(options.drainTimeout().toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            LOG.warn("{} expert calls were still waiting after the drain timeout of {} ms", queuedCalls(),
                    options.drainTimeout().toMillis());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("draining the expert batchers failed", e.getCause());
        }
    }

    private boolean awaitRunners(long started) {
        long left = options.drainTimeout().toNanos() - (System.nanoTime() - started);
        try {
            return runners.awaitTermination(Math.max(left, 0), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** An expert's session with its batcher and meters. */
    private static final class Expert {

        final ExpertSession session;
        MicroBatcher batcher;
        PoolMetrics.ExpertMeters meters;

        Expert(ExpertSession session) {
            this.session = session;
        }

        int queuedCalls() {
            return batcher == null ? 0 : batcher.queuedCalls();
        }
    }

    /** Adapts a session to the batcher's kernel interface. */
    private record SessionKernel(ExpertSession session) implements ExpertKernel {

        @Override
        public int width() {
            return session.width();
        }

        @Override
        public void run(FloatBuffer input, FloatBuffer output, int tokenCount) throws OrtException {
            session.run(input, output, tokenCount);
        }
    }
}
