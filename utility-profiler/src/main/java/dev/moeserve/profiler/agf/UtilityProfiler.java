package dev.moeserve.profiler.agf;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.model.progress.ProgressBar;
import dev.moeserve.model.progress.ProgressLine;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.profiler.model.MoeTrace;
import dev.moeserve.profiler.model.Routing;
import dev.moeserve.profiler.model.VitMoe;
import dev.moeserve.profiler.train.Losses;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Scores every expert of a DJL {@link VitMoe} from real backward passes over calibration batches.
 *
 * <p>Per batch: one forward pass with a zero probe added to every MoE layer's output y, and one backward
 * pass of the cross-entropy, give dL/dy per layer (the probe's gradient). The expert's feature map
 * {@code Y_e(x) = g_e(x) E_e(x)} comes from the same forward pass, so first-order AGF and the baselines
 * cost one forward and one backward. {@code agf-dense} adds one expert forward per expert on all tokens.
 * {@code ablation} adds one forward per expert from its layer on, with that expert masked.
 * {@code agf-path} adds, per layer and path point t > 0, one forward and backward from the layer on, over
 * a batch with one copy of the images per expert, with copy e's layer output set to
 * {@code y - t Y_e}; the gradient at t = 0 is the first-order one, so a single point at t = 0 gives
 * first-order AGF exactly. Every score is a mean over the T batches of a per-batch mean over tokens,
 * except {@code ablation-iterative}, which runs after the pass ({@link IterativeAblation}).
 */
public final class UtilityProfiler {

    private final VitMoe model;
    private final ProfileOptions options;
    private final double[] pathTimes;
    private final VitMoeConfig config;

    /** Profiles with the midpoint rule {@code t_k = (k - 1/2) / K} for {@code agf-path}. */
    public UtilityProfiler(VitMoe model, ProfileOptions options) {
        this(model, options, midpoints(options.pathPoints()));
    }

    /** Profiles with explicit path points in [0, 1) for {@code agf-path}. */
    public UtilityProfiler(VitMoe model, ProfileOptions options, double[] pathTimes) {
        this.model = model;
        this.options = options;
        this.pathTimes = pathTimes.clone();
        this.config = model.config();
    }

    public static double[] midpoints(int k) {
        double[] t = new double[k];
        for (int i = 0; i < k; i++) {
            t[i] = (i + 0.5) / k;
        }
        return t;
    }

    /** Runs the calibration pass over {@code options.images()} images drawn from {@code data}. */
    public ProfileResult profile(NDManager manager, FashionMnist.Split data, PrintStream out) {
        if (options.images() > data.count()) {
            throw new IllegalArgumentException("calibration needs " + options.batches() + " x " + options.batchSize()
                    + " = " + options.images() + " images, but the calibration data has only " + data.count());
        }
        int[] chosen = choose(data.count(), options.images(), options.seed());
        Accumulators acc = new Accumulators(config.layers(), config.experts());
        ProgressBar progress = out == null ? null : new ProgressBar(ProgressLine.on(out), "profile", options.batches());
        long started = System.nanoTime();
        List<IterativeAblation.Batch> batches = new ArrayList<>();
        for (int b = 0; b < options.batches(); b++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                batches.add(profileBatch(manager, data, chosen, b, acc));
            }
            if (progress != null) {
                progress.update(b + 1, "");
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        if (progress != null) {
            progress.finish(String.format("%d batches of %d images in %.1f s", options.batches(),
                    options.batchSize(), seconds));
        }
        double frequencySeconds = timeFrequencyCount(manager, data, chosen);
        Map<Score, double[][]> scores = acc.finish(options.batches(), weightNorms(), randomScores());
        if (options.eliminationStep() > 0) {
            long t = System.nanoTime();
            // Round 1 of the elimination is single-expert ablation, so it reuses that score when computed.
            scores.put(Score.ABLATION_ITERATIVE, new IterativeAblation(model, options.eliminationStep())
                    .scores(manager, batches, scores.get(Score.ABLATION), out));
            acc.addTime(Score.ABLATION_ITERATIVE, System.nanoTime() - t);
        }
        return new ProfileResult(scores, acc.routedShare(options.batches()), acc.timings(frequencySeconds));
    }

    /**
     * Profiles one batch and returns its pixels and targets (the labels, or the model's predictions when
     * label-free) for the elimination that follows.
     */
    private IterativeAblation.Batch profileBatch(NDManager manager, FashionMnist.Split data, int[] chosen, int batch,
                                                 Accumulators acc) {
        int b = options.batchSize();
        int[] indices = batchIndices(chosen, batch);
        float[] labels = new float[b];
        for (int i = 0; i < b; i++) {
            labels[i] = data.label(indices[i]);
        }
        float[] pixels = data.imagesAsFloats(indices);
        NDArray images = manager.create(pixels, new Shape(b, 28, 28));

        long t0 = System.nanoTime();
        NDArray[] probes = new NDArray[config.layers()];
        VitMoe.Forward forward;
        NDArray target;
        float baseLoss;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            forward = model.forward(images, null, trace -> {
                NDArray probe = manager.zeros(trace.output().getShape());
                probe.setRequiresGradient(true);
                probes[trace.layer()] = probe;
                return trace.output().add(probe);
            });
            target = options.labelFree() ? forward.logits().argMax(1).stopGradient()
                    : manager.create(labels).toType(DataType.INT64, false);
            NDArray loss = Losses.crossEntropy(forward.logits(), target);
            collector.backward(loss);
            baseLoss = loss.getFloat();
        }
        List<NDArray> gradients = new ArrayList<>();
        for (NDArray probe : probes) {
            gradients.add(probe.getGradient().duplicate());
        }
        for (MoeTrace trace : forward.traces()) {
            firstOrder(trace, gradients.get(trace.layer()), acc);
        }
        acc.addTime(Score.AGF, System.nanoTime() - t0);

        if (options.dense()) {
            long t1 = System.nanoTime();
            for (MoeTrace trace : forward.traces()) {
                dense(trace, gradients.get(trace.layer()), acc);
            }
            acc.addTime(Score.AGF_DENSE, System.nanoTime() - t1);
        }
        if (options.ablation()) {
            long t2 = System.nanoTime();
            for (MoeTrace trace : forward.traces()) {
                ablation(trace, target, baseLoss, acc);
            }
            acc.addTime(Score.ABLATION, System.nanoTime() - t2);
        }
        if (pathTimes.length > 0 && batch < options.pathBatches()) {
            long t3 = System.nanoTime();
            for (MoeTrace trace : forward.traces()) {
                path(manager, trace, gradients.get(trace.layer()), target, acc);
            }
            acc.addTime(Score.AGF_PATH, System.nanoTime() - t3);
        }
        return new IterativeAblation.Batch(pixels, target.toLongArray());
    }

    /** First-order AGF, signed Taylor, frequency, gate mass and REAP of one layer in one batch. */
    private void firstOrder(MoeTrace trace, NDArray gradient, Accumulators acc) {
        int e = config.experts();
        long n = trace.tokens().getShape().get(0);
        NDArray product = slotProducts(trace, gradient.expandDims(1));
        NDArray oneHot = trace.topIndex().oneHot(e);
        float[] absolute = perExpert(product.abs().sum(new int[] {2}), oneHot);
        float[] signed = perExpert(product.sum(new int[] {2}), oneHot);
        float[] gateMass = perExpert(trace.weights(), oneHot);
        float[] reap = perExpert(trace.weights().mul(trace.slotOutputs().norm(new int[] {2})), oneHot);
        int l = trace.layer();
        for (int i = 0; i < e; i++) {
            acc.add(Score.AGF, l, i, absolute[i] / n);
            acc.add(Score.SIGNED_TAYLOR, l, i, signed[i] / n);
            acc.add(Score.GATE_MASS, l, i, gateMass[i] / n);
            acc.add(Score.FREQUENCY, l, i, (double) trace.counts()[i] / n);
            acc.addReap(l, i, reap[i], trace.counts()[i]);
        }
    }

    /** Sums {@code values [N, k]} per expert through {@code oneHot [N, k, E]}. */
    private static float[] perExpert(NDArray values, NDArray oneHot) {
        return oneHot.mul(values.expandDims(2)).sum(new int[] {0, 1}).toFloatArray();
    }

    private void dense(MoeTrace trace, NDArray gradient, Accumulators acc) {
        long n = trace.tokens().getShape().get(0);
        NDArray probabilities = trace.logits().softmax(-1);
        for (int e = 0; e < config.experts(); e++) {
            NDArray output = model.expert(trace.layer(), e, trace.tokens());
            NDArray p = probabilities.get(":, " + e).expandDims(1);
            float total = output.mul(p).mul(gradient).abs().sum().getFloat();
            acc.add(Score.AGF_DENSE, trace.layer(), e, total / n);
        }
    }

    private void ablation(MoeTrace trace, NDArray target, float baseLoss, Accumulators acc) {
        int l = trace.layer();
        for (int e = 0; e < config.experts(); e++) {
            if (trace.counts()[e] == 0) {
                continue;
            }
            float loss;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray logits = model.resumeAtMoe(l, trace.attended(), null, maskOne(l, e)).logits();
                loss = Losses.crossEntropy(logits, target).getFloat();
            }
            acc.add(Score.ABLATION, l, e, loss - baseLoss);
        }
    }

    /** Routing that gives expert {@code expert} of {@code layer} logit negative infinity. */
    public Routing maskOne(int layer, int expert) {
        return IterativeAblation.mask(new boolean[config.layers()][config.experts()], layer, expert);
    }

    /** Computes the feature maps {@code Y_e} of every expert of one layer, {@code [E, N, d]}. */
    NDArray featureMaps(MoeTrace trace) {
        NDArray weighted = trace.slotOutputs().mul(trace.weights().expandDims(2));
        NDArray oneHot = trace.topIndex().oneHot(config.experts());
        // [N, k, E] x [N, k, d] summed over k: transpose to [N, E, k] and batch-multiply.
        NDArray maps = oneHot.transpose(0, 2, 1).matMul(weighted);
        return maps.transpose(1, 0, 2);
    }

    private void path(NDManager manager, MoeTrace trace, NDArray firstOrderGradient, NDArray target,
                      Accumulators acc) {
        int experts = config.experts();
        long n = trace.tokens().getShape().get(0);
        NDArray maps = featureMaps(trace);
        float[] sum = new float[(int) maps.size()];
        for (double t : pathTimes) {
            // Each point's graph is freed before the next one; only the gradient's values are kept.
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray gradient = t == 0 ? firstOrderGradient.expandDims(0).repeat(0, experts)
                        : pathGradient(manager, trace, maps, t, target);
                float[] values = gradient.toFloatArray();
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += values[i];
                }
            }
        }
        NDArray mean = manager.create(sum, maps.getShape()).div(pathTimes.length);
        float[] totals = perExpert(slotProducts(trace, slotGradients(manager, trace, mean)).abs().sum(new int[] {2}),
                trace.topIndex().oneHot(experts));
        // Scaled so that the mean over all T batches is the mean over the path batches.
        double scale = (double) options.batches() / options.pathBatches();
        for (int e = 0; e < experts; e++) {
            acc.add(Score.AGF_PATH, trace.layer(), e, totals[e] / n * scale);
        }
    }

    /** Multiplies {@code g_e(x) E_e(x)_d} by {@code gradient_d} per token and slot, {@code [N, k, d]}. */
    private static NDArray slotProducts(MoeTrace trace, NDArray slotGradient) {
        return trace.slotOutputs().mul(trace.weights().expandDims(2)).mul(slotGradient);
    }

    /** For each token and slot, the row of {@code perExpert [E, N, d]} of the slot's expert: {@code [N, k, d]}. */
    private NDArray slotGradients(NDManager manager, MoeTrace trace, NDArray perExpert) {
        long n = trace.tokens().getShape().get(0);
        int k = config.topK();
        NDArray flat = perExpert.reshape(config.experts() * n, config.width());
        NDArray rows = manager.arange(0, n, 1, DataType.INT64);
        List<NDArray> slots = new ArrayList<>();
        for (int s = 0; s < k; s++) {
            NDArray index = trace.topIndex().get(":, " + s).mul(n).add(rows);
            slots.add(flat.get(index));
        }
        return NDArrays.stack(new NDList(slots), 1);
    }

    /** Experts per copy-batch of {@code agf-path}; bounds memory to about 4 copies of a batch's activations. */
    static final int PATH_EXPERT_GROUP = 4;

    /** dL/dy at {@code y - t Y_e} for every expert e, in groups of {@link #PATH_EXPERT_GROUP}: {@code [E, N, d]}. */
    NDArray pathGradient(NDManager manager, MoeTrace trace, NDArray maps, double t, NDArray target) {
        List<NDArray> groups = new ArrayList<>();
        for (int from = 0; from < config.experts(); from += PATH_EXPERT_GROUP) {
            int to = Math.min(config.experts(), from + PATH_EXPERT_GROUP);
            groups.add(pathGradientOfGroup(manager, trace, maps.get(from + ":" + to), t, target));
        }
        return NDArrays.concat(new NDList(groups), 0);
    }

    private NDArray pathGradientOfGroup(NDManager manager, MoeTrace trace, NDArray maps, double t, NDArray target) {
        int copies = (int) maps.getShape().get(0);
        Shape mapShape = maps.getShape();
        // Detached from the first-order pass, whose graph is already freed.
        NDArray attended = trace.attended().stopGradient().expandDims(0).repeat(0, copies)
                .reshape(trace.attended().getShape().get(0) * copies, config.tokens(), config.width());
        NDArray shifted = trace.output().stopGradient().expandDims(0).sub(maps.mul(t));
        NDArray probe = manager.zeros(shifted.getShape());
        probe.setRequiresGradient(true);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray y = shifted.add(probe).reshape(mapShape.get(0) * mapShape.get(1), mapShape.get(2));
            NDArray logits = model.resumeAtMoe(trace.layer(), attended, y, null).logits();
            NDArray repeated = target.expandDims(0).repeat(0, copies).reshape(-1);
            // Each copy's loss is a mean over its own images, as in the first-order pass.
            collector.backward(Losses.crossEntropy(logits, repeated).mul(copies));
        }
        return probe.getGradient().duplicate();
    }

    /** Loss change when {@code expert}'s feature map is removed from {@code y} without re-routing. */
    public float removalLossChange(MoeTrace trace, int expert, NDArray target, float baseLoss) {
        NDArray map = featureMaps(trace).get(expert);
        NDArray logits = model.resumeAtMoe(trace.layer(), trace.attended(), trace.output().sub(map), null).logits();
        return Losses.crossEntropy(logits, target).getFloat() - baseLoss;
    }

    /** Indices into the calibration data of the images of batch {@code batch}. */
    private int[] batchIndices(int[] chosen, int batch) {
        int b = options.batchSize();
        return java.util.Arrays.copyOfRange(chosen, batch * b, (batch + 1) * b);
    }

    /**
     * Times a forward-only pass that counts routed tokens, the unit of the profiling cost. Pixels are
     * prepared before the clock starts, as in {@link #profileBatch}.
     */
    private double timeFrequencyCount(NDManager manager, FashionMnist.Split data, int[] chosen) {
        int b = options.batchSize();
        List<float[]> batches = new ArrayList<>();
        for (int batch = 0; batch < options.batches(); batch++) {
            batches.add(data.imagesAsFloats(batchIndices(chosen, batch)));
        }
        long started = System.nanoTime();
        long[] counts = new long[config.experts()];
        for (float[] pixels : batches) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (MoeTrace trace : model.forward(manager.create(pixels, new Shape(b, 28, 28)), null, null).traces()) {
                    for (int e = 0; e < counts.length; e++) {
                        counts[e] += trace.counts()[e];
                    }
                }
            }
        }
        return (System.nanoTime() - started) / 1e9;
    }

    private double[][] weightNorms() {
        double[][] norms = new double[config.layers()][config.experts()];
        for (int l = 0; l < config.layers(); l++) {
            for (int e = 0; e < config.experts(); e++) {
                String p = "blocks." + l + ".experts." + e + ".";
                double sum = 0;
                for (String name : List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")) {
                    sum += model.parameter(p + name).square().sum().getFloat();
                }
                norms[l][e] = Math.sqrt(sum);
            }
        }
        return norms;
    }

    private double[][] randomScores() {
        Random random = new Random(options.seed() ^ 0x5DEECE66DL);
        double[][] scores = new double[config.layers()][config.experts()];
        for (double[] layer : scores) {
            for (int e = 0; e < layer.length; e++) {
                layer[e] = random.nextDouble();
            }
        }
        return scores;
    }

    /** Draws {@code count} distinct indices below {@code size}, in a seeded order. */
    static int[] choose(int size, int count, long seed) {
        int[] all = new int[size];
        for (int i = 0; i < size; i++) {
            all[i] = i;
        }
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(size - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, count);
    }

    /** Sums per score, layer and expert, and seconds per score group. */
    static final class Accumulators {
        private final Map<Score, double[][]> sums = new EnumMap<>(Score.class);
        private final double[][] reapSum;
        private final long[][] reapCount;
        private final Map<Score, Long> nanos = new EnumMap<>(Score.class);
        private final int layers;
        private final int experts;

        Accumulators(int layers, int experts) {
            this.layers = layers;
            this.experts = experts;
            this.reapSum = new double[layers][experts];
            this.reapCount = new long[layers][experts];
        }

        void add(Score score, int layer, int expert, double value) {
            sums.computeIfAbsent(score, s -> new double[layers][experts])[layer][expert] += value;
        }

        void addReap(int layer, int expert, double sum, long count) {
            reapSum[layer][expert] += sum;
            reapCount[layer][expert] += count;
        }

        void addTime(Score score, long elapsed) {
            nanos.merge(score, elapsed, Long::sum);
        }

        Map<Score, double[][]> finish(int batches, double[][] weightNorms, double[][] random) {
            Map<Score, double[][]> out = new EnumMap<>(Score.class);
            for (Map.Entry<Score, double[][]> entry : sums.entrySet()) {
                double[][] mean = new double[layers][experts];
                for (int l = 0; l < layers; l++) {
                    for (int e = 0; e < experts; e++) {
                        mean[l][e] = entry.getValue()[l][e] / batches;
                    }
                }
                out.put(entry.getKey(), mean);
            }
            if (out.containsKey(Score.SIGNED_TAYLOR)) {
                for (double[] layer : out.get(Score.SIGNED_TAYLOR)) {
                    for (int e = 0; e < experts; e++) {
                        layer[e] = Math.abs(layer[e]);
                    }
                }
            }
            double[][] reap = new double[layers][experts];
            for (int l = 0; l < layers; l++) {
                for (int e = 0; e < experts; e++) {
                    reap[l][e] = reapCount[l][e] == 0 ? 0 : reapSum[l][e] / reapCount[l][e];
                }
            }
            out.put(Score.REAP, reap);
            out.put(Score.WEIGHT_NORM, weightNorms);
            out.put(Score.RANDOM, random);
            return out;
        }

        double[][] routedShare(int batches) {
            double[][] share = new double[layers][experts];
            double[][] frequency = sums.get(Score.FREQUENCY);
            for (int l = 0; l < layers; l++) {
                double total = 0;
                for (int e = 0; e < experts; e++) {
                    total += frequency[l][e];
                }
                for (int e = 0; e < experts; e++) {
                    share[l][e] = frequency[l][e] / total;
                }
            }
            return share;
        }

        Map<String, Double> timings(double frequencySeconds) {
            Map<String, Double> t = new java.util.LinkedHashMap<>();
            t.put("frequency-forward-only", frequencySeconds);
            for (Map.Entry<Score, Long> entry : nanos.entrySet()) {
                t.put(entry.getKey().id(), entry.getValue() / 1e9);
            }
            return t;
        }
    }
}
