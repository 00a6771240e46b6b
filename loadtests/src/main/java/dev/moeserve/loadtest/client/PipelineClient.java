package dev.moeserve.loadtest.client;

import dev.moeserve.router.inference.InferenceResult;
import dev.moeserve.router.inference.MoePipeline;
import dev.moeserve.router.inference.RoutingPolicy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Calls {@link MoePipeline#infer} directly, without HTTP, gRPC, JSON or the policy table: the bare
 * in-process ONNX Runtime path that the service is compared with. Pixels are scaled to [0, 1] once,
 * when the client is created.
 */
public final class PipelineClient implements InferenceClient {

    private final MoePipeline pipeline;
    private final RoutingPolicy policy;
    private final Duration timeout;
    private final List<float[]> images = new ArrayList<>();
    private final int[] sizes;

    public PipelineClient(MoePipeline pipeline, RoutingPolicy policy, List<RequestBatch> batches, Duration timeout) {
        this.pipeline = pipeline;
        this.policy = policy;
        this.timeout = timeout;
        this.sizes = new int[batches.size()];
        for (int i = 0; i < batches.size(); i++) {
            images.add(batches.get(i).scaledPixels());
            sizes[i] = batches.get(i).size();
        }
    }

    @Override
    public CompletableFuture<Reply> infer(int batchIndex, String stickyKey) {
        CompletableFuture<InferenceResult> run;
        try {
            run = pipeline.infer(images.get(batchIndex), sizes[batchIndex], policy, false);
        } catch (RuntimeException e) {
            run = CompletableFuture.failedFuture(e);
        }
        return run.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((result, failure) -> {
            if (failure != null) {
                return Reply.failed(ErrorKinds.of(failure), policy.name());
            }
            long[] labels = new long[result.batch()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = result.labels()[i];
            }
            return Reply.ok(policy.name(), labels);
        });
    }

    @Override
    public int batches() {
        return images.size();
    }

    @Override
    public String describe() {
        return "pipeline in process, policy " + policy.name();
    }

    /** Leaves the pipeline open: its trunk and backend belong to the caller. */
    @Override
    public void close() {
    }
}
