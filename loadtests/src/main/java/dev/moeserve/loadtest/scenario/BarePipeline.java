package dev.moeserve.loadtest.scenario;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.router.inference.MoePipeline;
import dev.moeserve.router.inference.Policies;
import dev.moeserve.router.inference.RoutingPolicy;
import dev.moeserve.router.inference.TrunkModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-process inference path without the service around it: trunk and gates in ONNX Runtime, every
 * expert of the bundle in a {@link LocalExpertPool}, and {@link MoePipeline} on a fixed thread pool. It
 * routes like the router's default for the bundle: {@code topk} for a full bundle, {@code masked} for a
 * reduced one.
 */
public final class BarePipeline implements AutoCloseable {

    private final TrunkModel trunk;
    private final LocalExpertPool pool;
    private final ExecutorService executor;
    private final MoePipeline pipeline;
    private final RoutingPolicy policy;

    private BarePipeline(TrunkModel trunk, LocalExpertPool pool, ExecutorService executor, RoutingPolicy policy) {
        this.trunk = trunk;
        this.pool = pool;
        this.executor = executor;
        this.pipeline = new MoePipeline(trunk, pool, executor, null);
        this.policy = policy;
    }

    /**
     * Loads {@code bundleDir} and runs the pipeline on {@code threads} threads; pass the router's
     * {@code --threads} so that both paths use the same number of inference threads.
     */
    public static BarePipeline load(Path bundleDir, int threads) {
        Bundle bundle = Bundle.open(bundleDir);
        TrunkModel trunk = TrunkModel.load(bundle);
        LocalExpertPool pool;
        try {
            pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.all(), PoolOptions.defaults());
        } catch (RuntimeException e) {
            trunk.close();
            throw e;
        }
        RoutingPolicy policy = bundle.manifest().isReduced()
                ? maskedTo(bundle)
                : Policies.topK();
        AtomicInteger count = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "bare-pipeline-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        return new BarePipeline(trunk, pool, executor, policy);
    }

    public MoePipeline pipeline() {
        return pipeline;
    }

    public RoutingPolicy policy() {
        return policy;
    }

    /** Bytes of expert weights loaded. */
    public long weightBytes() {
        return pool.weightBytes();
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            pool.close();
        } finally {
            trunk.close();
        }
    }

    private static RoutingPolicy maskedTo(Bundle bundle) {
        List<List<Integer>> pools = new ArrayList<>();
        int experts = 0;
        for (MoeLayerSpec layer : bundle.manifest().layers()) {
            pools.add(layer.keptExperts());
            experts = Math.max(experts, layer.experts());
        }
        return Policies.masked("masked", pools, experts);
    }
}
