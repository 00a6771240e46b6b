package dev.moeserve.profiler.report;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.router.inference.InferenceResult;
import dev.moeserve.router.inference.MoePipeline;
import dev.moeserve.router.inference.RoutingPolicy;
import dev.moeserve.router.inference.TrunkModel;
import dev.moeserve.router.serving.ServingModel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Accuracy as served: images go through the router's own inference library (ONNX Runtime trunk,
 * gates, routing policy, in-process expert pool), so the figures reported offline are the ones a
 * client of the service gets for the same images and policy.
 */
public final class ServedAccuracy implements AutoCloseable {

    /** Images per pipeline call. */
    private static final int BATCH = 250;

    private final TrunkModel trunk;
    private final LocalExpertPool pool;
    private final ExecutorService executor;
    private final MoePipeline pipeline;

    /** Loads the trunk and every expert of {@code bundle} (a full bundle serves every policy). */
    public ServedAccuracy(Bundle bundle) {
        this.trunk = TrunkModel.load(bundle);
        this.pool = LocalExpertPool.load(ServingModel.expertFiles(bundle));
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "evaluate-trunk");
            t.setDaemon(true);
            return t;
        });
        this.pipeline = new MoePipeline(trunk, pool, executor, null);
    }

    /** Accuracy and escalations of one policy (or cascade) over the first {@code count} images. */
    public record Outcome(double accuracy, int escalated, int images, int[] labels) {

        public double escalationRate() {
            return (double) escalated / images;
        }
    }

    /** Serves {@code count} images of {@code split} under {@code policy}. */
    public Outcome run(FashionMnist.Split split, int count, RoutingPolicy policy) {
        return run(split, count, (images, batch) -> pipeline.infer(images, batch, policy, false));
    }

    /** Serves with {@code reduced}, escalating images below top-1 probability {@code tau} to {@code full}. */
    public Outcome runCascade(FashionMnist.Split split, int count, RoutingPolicy reduced, RoutingPolicy full,
                              double tau) {
        return run(split, count, (images, batch) -> pipeline.inferCascade(images, batch, reduced, full, tau,
                "cascade", false));
    }

    private interface Call {
        CompletableFuture<InferenceResult> apply(float[] images, int batch);
    }

    private Outcome run(FashionMnist.Split split, int count, Call call) {
        List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
        for (int from = 0; from < count; from += BATCH) {
            int size = Math.min(BATCH, count - from);
            float[] images = split.imagesAsFloats(from, size);
            futures.add(call.apply(images, size));
        }
        int correct = 0;
        int escalated = 0;
        int[] labels = new int[count];
        int index = 0;
        for (CompletableFuture<InferenceResult> future : futures) {
            InferenceResult result = future.join();
            escalated += result.escalated();
            for (int i = 0; i < result.batch(); i++, index++) {
                labels[index] = result.labels()[i];
                if (result.labels()[i] == split.label(index)) {
                    correct++;
                }
            }
        }
        return new Outcome((double) correct / count, escalated, count, labels);
    }

    @Override
    public void close() {
        executor.shutdown();
        pool.close();
        trunk.close();
    }
}
