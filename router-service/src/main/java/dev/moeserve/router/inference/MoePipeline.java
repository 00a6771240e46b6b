package dev.moeserve.router.inference;

import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.pool.ExpertBackend;
import dev.moeserve.pool.ExpertId;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The in-process inference path: trunk segments and gates in ONNX Runtime, a routing policy per MoE
 * layer, tokens grouped by expert and sent to an {@link ExpertBackend}, outputs combined with the gate
 * weights.
 *
 * <p>Threads: every ONNX Runtime call of the trunk and gates runs on {@code trunkExecutor}; expert calls
 * return futures, and the combining step hops back to {@code trunkExecutor}. No stage blocks the
 * thread that called {@link #infer}, so it may be an event loop. Within a layer, token i's output is
 * {@code sum over slots s of weights[i k + s] * E_{experts[i k + s]}(u_i)}, summed in slot order.
 */
public final class MoePipeline {

    private final TrunkModel trunk;
    private final ExpertBackend backend;
    private final Executor trunkExecutor;
    private final RouteListener listener;

    public MoePipeline(TrunkModel trunk, ExpertBackend backend, Executor trunkExecutor, RouteListener listener) {
        this.trunk = trunk;
        this.backend = backend;
        this.trunkExecutor = trunkExecutor;
        this.listener = listener == null ? RouteListener.NONE : listener;
    }

    public Manifest manifest() {
        return trunk.manifest();
    }

    public ExpertBackend backend() {
        return backend;
    }

    /** Runs {@code batch} images {@code [batch, 28, 28]} scaled to [0, 1] under {@code policy}. */
    public CompletableFuture<InferenceResult> infer(float[] images, int batch, RoutingPolicy policy,
                                                    boolean traceExperts) {
        Manifest m = trunk.manifest();
        int[][][] routed = traceExperts ? new int[batch][m.layers().size()][] : null;
        return CompletableFuture.supplyAsync(() -> trunk.first(images, batch), trunkExecutor)
                .thenCompose(first -> layer(0, first, batch, policy, routed))
                .thenApply(logits -> result(logits, batch, policy.name(), routed, 0));
    }

    /**
     * Serves with {@code reduced}; images whose top-1 probability is below {@code tau} are served again
     * with {@code full}, and that result replaces the first one.
     */
    public CompletableFuture<InferenceResult> inferCascade(float[] images, int batch, RoutingPolicy reduced,
                                                           RoutingPolicy full, double tau, String name,
                                                           boolean traceExperts) {
        return infer(images, batch, reduced, traceExperts).thenCompose(first -> {
            List<Integer> unsure = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                if (first.confidence(i) < tau) {
                    unsure.add(i);
                }
            }
            if (unsure.isEmpty()) {
                return CompletableFuture.completedFuture(rename(first, name, 0));
            }
            float[] again = new float[unsure.size() * 28 * 28];
            for (int j = 0; j < unsure.size(); j++) {
                System.arraycopy(images, unsure.get(j) * 784, again, j * 784, 784);
            }
            return infer(again, unsure.size(), full, traceExperts)
                    .thenApply(second -> merge(first, second, unsure, name));
        });
    }

    private CompletableFuture<float[]> layer(int layer, TrunkModel.SegmentOutput segment, int batch,
                                             RoutingPolicy policy, int[][][] routed) {
        Manifest m = trunk.manifest();
        int n = batch * m.tokens();
        int d = m.width();
        int experts = m.layer(layer).experts();
        int k = m.layer(layer).topK();
        float[] logits = trunk.gate(layer, segment.moeInput(), n);
        RouteDecision decision = policy.route(layer, logits, n, experts, k);
        listener.routed(policy.name(), layer, decision);
        if (routed != null) {
            record(routed, layer, decision, batch, m.tokens());
        }
        return dispatch(layer, segment.moeInput(), decision, d, experts)
                .thenComposeAsync(moeOutput -> {
                    TrunkModel.SegmentOutput next = trunk.next(layer + 1, segment.hidden(), moeOutput, batch);
                    if (next.logits() != null) {
                        return CompletableFuture.completedFuture(next.logits());
                    }
                    return layer(layer + 1, next, batch, policy, routed);
                }, trunkExecutor);
    }

    /** Groups token rows by expert, runs every used expert once, and combines the outputs. */
    private CompletableFuture<float[]> dispatch(int layer, float[] tokens, RouteDecision decision, int d,
                                                int experts) {
        int k = decision.k();
        int[] counts = new int[experts];
        for (int expert : decision.experts()) {
            counts[expert]++;
        }
        int[][] slots = new int[experts][];
        for (int e = 0; e < experts; e++) {
            slots[e] = new int[counts[e]];
        }
        int[] fill = new int[experts];
        for (int slot = 0; slot < decision.experts().length; slot++) {
            int e = decision.experts()[slot];
            slots[e][fill[e]++] = slot;
        }

        List<CompletableFuture<Void>> calls = new ArrayList<>();
        float[] output = new float[decision.tokens() * d];
        float[][] perExpert = new float[experts][];
        for (int e = 0; e < experts; e++) {
            if (counts[e] == 0) {
                continue;
            }
            float[] rows = new float[counts[e] * d];
            for (int r = 0; r < counts[e]; r++) {
                System.arraycopy(tokens, (slots[e][r] / k) * d, rows, r * d, d);
            }
            int expert = e;
            calls.add(backend.run(new ExpertId(layer, e), rows, counts[e], d)
                    .thenAccept(out -> perExpert[expert] = out));
        }
        // Backends complete on their own threads (a remote backend on its event loop), so combine elsewhere.
        return CompletableFuture.allOf(calls.toArray(new CompletableFuture[0]))
                .thenApplyAsync(done -> combine(decision, slots, perExpert, output, d), trunkExecutor);
    }

    private static float[] combine(RouteDecision decision, int[][] slots, float[][] perExpert, float[] output,
                                   int d) {
        int k = decision.k();
        // Rows of each slot position, so that the sum per token runs in slot order.
        int[] rowOfSlot = new int[decision.experts().length];
        for (int e = 0; e < slots.length; e++) {
            for (int r = 0; r < slots[e].length; r++) {
                rowOfSlot[slots[e][r]] = r;
            }
        }
        for (int slot = 0; slot < rowOfSlot.length; slot++) {
            int token = slot / k;
            float w = decision.weights()[slot];
            float[] out = perExpert[decision.experts()[slot]];
            int source = rowOfSlot[slot] * d;
            int target = token * d;
            for (int j = 0; j < d; j++) {
                output[target + j] += w * out[source + j];
            }
        }
        return output;
    }

    private static void record(int[][][] routed, int layer, RouteDecision decision, int batch, int tokens) {
        int perImage = tokens * decision.k();
        for (int i = 0; i < batch; i++) {
            int[] experts = new int[perImage];
            System.arraycopy(decision.experts(), i * perImage, experts, 0, perImage);
            routed[i][layer] = experts;
        }
    }

    private InferenceResult result(float[] logits, int batch, String policy, int[][][] routed, int escalated) {
        int classes = logits.length / batch;
        float[] probabilities = new float[logits.length];
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            int base = i * classes;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                if (logits[base + c] > max) {
                    max = logits[base + c];
                    labels[i] = c;
                }
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[base + c] - max);
            }
            for (int c = 0; c < classes; c++) {
                probabilities[base + c] = (float) (Math.exp(logits[base + c] - max) / sum);
            }
        }
        return new InferenceResult(batch, classes, logits, probabilities, labels, routed, policy, escalated);
    }

    private static InferenceResult rename(InferenceResult r, String name, int escalated) {
        return new InferenceResult(r.batch(), r.classes(), r.logits(), r.probabilities(), r.labels(),
                r.routedExperts(), name, escalated);
    }

    private static InferenceResult merge(InferenceResult first, InferenceResult second, List<Integer> unsure,
                                         String name) {
        int c = first.classes();
        float[] logits = first.logits().clone();
        float[] probabilities = first.probabilities().clone();
        int[] labels = first.labels().clone();
        int[][][] routed = first.routedExperts() == null ? null : first.routedExperts().clone();
        for (int j = 0; j < unsure.size(); j++) {
            int i = unsure.get(j);
            System.arraycopy(second.logits(), j * c, logits, i * c, c);
            System.arraycopy(second.probabilities(), j * c, probabilities, i * c, c);
            labels[i] = second.labels()[j];
            if (routed != null) {
                routed[i] = second.routedExperts()[j];
            }
        }
        return new InferenceResult(first.batch(), c, logits, probabilities, labels, routed, name, unsure.size());
    }
}
