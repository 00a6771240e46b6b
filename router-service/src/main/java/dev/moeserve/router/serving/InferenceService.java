package dev.moeserve.router.serving;

import dev.moeserve.pool.ExpertNotFoundException;
import dev.moeserve.router.inference.InferenceResult;
import dev.moeserve.router.inference.MoePipeline;
import dev.moeserve.router.metrics.RouterMetrics;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.PolicyTable;
import dev.moeserve.router.policy.ServingPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The protocol-neutral inference path: admission against the in-flight limit, decoding, the arm of the
 * policy table, the pipeline, encoding, metrics and the shadow copy.
 *
 * <p>Threads: {@link #process} is called on an event loop and returns at once. Decoding, encoding and
 * every ONNX Runtime call run on {@code executor}; the returned future completes there, and the caller
 * hops back to its event loop to write the response. Each request reads the policy table once.
 */
public final class InferenceService {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceService.class);

    /** Policy tag of requests that failed before an arm was chosen. */
    public static final String NO_POLICY = "none";

    /**
     * A decoded inference request.
     *
     * @param images    the validated images
     * @param requestId the request's {@code id}, or null; also the sticky key when no sticky header is set
     * @param outputs   the output tensors to return
     */
    public record InferCall(ImageBatch images, String requestId, Set<OutputKind> outputs) {

        /** Returns whether the response needs the experts chosen per token. */
        public boolean traceExperts() {
            return outputs.contains(OutputKind.ROUTED_EXPERTS);
        }
    }

    /** A served request, before encoding: the call, the result and the table version it was served under. */
    public record Served(InferCall call, InferenceResult result, String policy, long tableVersion) {
    }

    /**
     * Outcome of a request: an encoded reply, or a failure to map with {@link ErrorMapping}.
     *
     * @param policy the arm's name, or {@link #NO_POLICY} when the request failed before one was chosen
     */
    public record Outcome<R>(R reply, String policy, Throwable failure) {
    }

    private final ServingModel model;
    private final MoePipeline pipeline;
    private final PolicyTable table;
    private final RouterMetrics metrics;
    private final Executor executor;
    private final int maxInFlight;
    private final int maxShadowInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger shadowsInFlight = new AtomicInteger();
    private final FailureLog failures = new FailureLog(LOG);
    private volatile boolean closing;

    public InferenceService(ServingModel model, MoePipeline pipeline, PolicyTable table, RouterMetrics metrics,
                            Executor executor, int maxInFlight, int maxShadowInFlight) {
        this.model = model;
        this.pipeline = pipeline;
        this.table = table;
        this.metrics = metrics;
        this.executor = executor;
        this.maxInFlight = maxInFlight;
        this.maxShadowInFlight = maxShadowInFlight;
        metrics.activeRequests(inFlight::get);
    }

    /**
     * Runs one request and completes with its outcome, never exceptionally.
     *
     * @param protocol {@code http} or {@code grpc}, for metrics
     * @param headers  request header lookup by lower-case name, for the sticky header; called on the
     *                 calling thread only
     * @param decode   parses and validates the request; runs on the executor
     * @param encode   builds the reply; runs on the executor
     */
    public <R> CompletableFuture<Outcome<R>> process(String protocol, UnaryOperator<String> headers,
                                                     Supplier<InferCall> decode, Function<Served, R> encode) {
        long start = System.nanoTime();
        if (closing) {
            return rejected(protocol, start, new UnavailableException("the server is shutting down; retry on "
                    + "another replica"));
        }
        if (!tryAcquire(inFlight, maxInFlight)) {
            return rejected(protocol, start, new OverloadedException("too many requests in flight: the limit is "
                    + maxInFlight + "; retry later"));
        }
        AtomicReference<String> policy = new AtomicReference<>(NO_POLICY);
        AtomicReference<InferCall> decoded = new AtomicReference<>();

        CompletableFuture<R> work;
        try {
            PolicyTable.Snapshot snapshot = table.current();
            String stickyValue = snapshot.stickyHeader() == null ? null : headers.apply(snapshot.stickyHeader());
            work = CompletableFuture.supplyAsync(decode, executor).thenCompose(call -> {
                decoded.set(call);
                String key = stickyValue != null && !stickyValue.isEmpty() ? stickyValue : call.requestId();
                PolicyTable.Arm arm = snapshot.assign(key);
                policy.set(arm.name());
                ImageBatch images = call.images();
                return arm.policy().serve(pipeline, images.pixels(), images.batch(), call.traceExperts())
                        .thenApplyAsync(result -> {
                            Served served = new Served(call, result, arm.name(), snapshot.version());
                            R reply = encode.apply(served);
                            afterSuccess(snapshot, arm.policy(), call, result);
                            return reply;
                        }, executor);
            });
        } catch (RuntimeException e) {
            work = CompletableFuture.failedFuture(e);
        }
        return work.handle((reply, failure) -> {
            inFlight.decrementAndGet();
            Throwable cause = failure == null ? null : explain(ErrorMapping.unwrap(failure), policy.get());
            try {
                record(protocol, start, policy.get(), decoded.get(), cause);
            } catch (RuntimeException e) {
                LOG.warn("Recording the metrics of an inference request failed", e);
            }
            return new Outcome<>(cause == null ? reply : null, policy.get(), cause);
        });
    }

    /** Records metrics of a finished request and logs its failure, if any. */
    private void record(String protocol, long start, String policy, InferCall call, Throwable cause) {
        int images = call == null ? 0 : call.images().batch();
        if (cause == null) {
            metrics.requestFinished(policy, protocol, "ok", System.nanoTime() - start, images);
            return;
        }
        ErrorMapping.Mapped mapped = ErrorMapping.map(cause);
        metrics.requestFinished(policy, protocol, mapped.tag(), System.nanoTime() - start, images);
        if (!NO_POLICY.equals(policy)) {
            metrics.dispatchError(policy, cause);
        }
        if (mapped.serverFault()) {
            String id = call == null || call.requestId() == null ? "" : "'" + call.requestId() + "' ";
            failures.warn(cause.getClass().getName() + "/" + policy, "Inference request " + id + "under policy "
                    + policy + " failed with " + mapped.httpStatus() + ": " + mapped.message(), cause);
        } else {
            LOG.debug("Inference request rejected with {}: {}", mapped.httpStatus(), mapped.message());
        }
    }

    /** Returns the number of requests admitted and not finished. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Rejects new requests from now on; those in flight finish. */
    public void beginShutdown() {
        closing = true;
    }

    /**
     * Returns whether the service accepts requests: not shutting down, and the expert backend can still
     * serve every expert it held at start (with remote workers, at least one worker of each responds).
     */
    public boolean ready() {
        return !closing && model.unavailableExperts().isEmpty();
    }

    public ServingModel model() {
        return model;
    }

    private <R> CompletableFuture<Outcome<R>> rejected(String protocol, long start, RuntimeException failure) {
        ErrorMapping.Mapped mapped = ErrorMapping.map(failure);
        metrics.requestFinished(NO_POLICY, protocol, mapped.tag(), System.nanoTime() - start, 0);
        LOG.debug("Inference request rejected with {}: {}", mapped.httpStatus(), mapped.message());
        return CompletableFuture.completedFuture(new Outcome<>(null, NO_POLICY, failure));
    }

    /**
     * Replaces a backend's "expert not found" by a message that names the policy and what to do, and a
     * rejected executor task (the server is closing) by {@link UnavailableException}.
     */
    private static Throwable explain(Throwable cause, String policy) {
        if (cause instanceof RejectedExecutionException) {
            return new UnavailableException("the server is shutting down; retry on another replica", cause);
        }
        if (cause instanceof ExpertNotFoundException) {
            return new UnavailableException("policy '" + policy + "' routed a token to an expert that no backend "
                    + "holds (" + cause.getMessage() + "); serve a policy restricted to the pool, or start the "
                    + "backend that holds the expert", cause);
        }
        return cause;
    }

    private void afterSuccess(PolicyTable.Snapshot snapshot, ServingPolicy served, InferCall call,
                              InferenceResult result) {
        if (PolicySpec.CASCADE.equals(served.kind())) {
            metrics.escalations(served.name(), result.escalated());
        }
        ServingPolicy shadow = snapshot.shadow();
        if (shadow != null) {
            runShadow(shadow, served.name(), call.images(), result);
        }
    }

    /** Serves a copy with the shadow policy and counts label agreement, then discards the shadow's result. */
    private void runShadow(ServingPolicy shadow, String served, ImageBatch images, InferenceResult primary) {
        if (!tryAcquire(shadowsInFlight, maxShadowInFlight)) {
            metrics.shadowSkipped(shadow.name(), "limit");
            return;
        }
        CompletableFuture<InferenceResult> copy;
        try {
            copy = shadow.serve(pipeline, images.pixels(), images.batch(), false);
        } catch (RuntimeException e) {
            copy = CompletableFuture.failedFuture(e);
        }
        copy.whenComplete((result, failure) -> {
            shadowsInFlight.decrementAndGet();
            if (failure != null) {
                ErrorMapping.Mapped mapped = ErrorMapping.map(failure);
                metrics.shadowFailed(shadow.name(), mapped.tag());
                failures.warn("shadow/" + shadow.name(), "Shadow policy " + shadow.name() + " failed: "
                        + mapped.message(), ErrorMapping.unwrap(failure));
                return;
            }
            int agreed = 0;
            for (int i = 0; i < images.batch(); i++) {
                if (result.labels()[i] == primary.labels()[i]) {
                    agreed++;
                }
            }
            metrics.shadowCompared(served, shadow.name(), agreed, images.batch() - agreed);
        });
    }

    private static boolean tryAcquire(AtomicInteger counter, int limit) {
        while (true) {
            int current = counter.get();
            if (current >= limit) {
                return false;
            }
            if (counter.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }
}
