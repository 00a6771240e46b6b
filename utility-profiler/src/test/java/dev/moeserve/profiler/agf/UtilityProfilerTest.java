package dev.moeserve.profiler.agf;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.profiler.model.DjlRuntime;
import dev.moeserve.profiler.model.MoeTrace;
import dev.moeserve.profiler.model.VitMoe;
import dev.moeserve.profiler.train.Losses;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class UtilityProfilerTest {

    private static NDManager manager;
    private static VitMoe model;
    private static FashionMnist.Split data;

    @BeforeAll
    static void train() {
        DjlRuntime.configure();
        manager = NDManager.newBaseManager();
        model = TinyModels.trained(manager, 7);
        data = TinyModels.calibration();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static ProfileOptions options(int batches, int pathPoints) {
        return new ProfileOptions(batches, 32, false, 3, pathPoints, Math.max(1, Math.min(batches, 1)), true, true, 0);
    }

    @Test
    void probeGradientMatchesFiniteDifferences() {
        NDArray images = TinyModels.images(manager, data, 0, 8);
        NDArray target = manager.create(new long[] {0, 1, 2, 3, 4, 5, 6, 7}).toType(DataType.INT64, false);
        NDArray[] probe = new NDArray[1];
        VitMoe.Forward forward;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            forward = model.forward(images, null, trace -> {
                if (trace.layer() != 0) {
                    return trace.output();
                }
                probe[0] = manager.zeros(trace.output().getShape());
                probe[0].setRequiresGradient(true);
                return trace.output().add(probe[0]);
            });
            target = manager.create(new long[] {0, 1, 2, 3, 4, 5, 6, 7}).toType(DataType.INT64, false);
            collector.backward(Losses.crossEntropy(forward.logits(), target));
        }
        float[] gradient = probe[0].getGradient().toFloatArray();
        MoeTrace trace = forward.traces().get(0);
        float[] y = trace.output().toFloatArray();
        double h = 1e-2;
        for (int index : new int[] {0, 17, 150, 300}) {
            double plus = lossWithOutput(trace, y, index, h, target);
            double minus = lossWithOutput(trace, y, index, -h, target);
            double numeric = (plus - minus) / (2 * h);
            assertThat((double) gradient[index]).as("dL/dy[%d]", index).isCloseTo(numeric, within(2e-4));
        }
    }

    private double lossWithOutput(MoeTrace trace, float[] y, int index, double step, NDArray target) {
        float[] shifted = y.clone();
        shifted[index] += (float) step;
        NDArray changed = manager.create(shifted, trace.output().getShape()).toType(DataType.FLOAT64, false);
        NDArray attended = trace.attended().toType(DataType.FLOAT64, false);
        // Float64 keeps the central difference accurate; the model's parameters are cast on the fly.
        VitMoe wide = new VitMoe(model.config(), castAll(DataType.FLOAT64));
        return Losses.crossEntropy(wide.resumeAtMoe(0, attended, changed, null).logits(), target).getDouble();
    }

    private java.util.Map<String, NDArray> castAll(DataType type) {
        java.util.Map<String, NDArray> out = new java.util.LinkedHashMap<>();
        model.parameters().forEach((k, v) -> out.put(k, v.toType(type, false)));
        return out;
    }

    @Test
    void expertWithZeroOutputWeightsScoresZero() {
        try (NDManager scratch = manager.newSubManager()) {
            VitMoe copy = new VitMoe(model.config(), copyParameters(scratch));
            TinyModels.fill(copy, "blocks.1.experts.2.fc2.weight", 0f);
            TinyModels.fill(copy, "blocks.1.experts.2.fc2.bias", 0f);
            ProfileResult result = new UtilityProfiler(copy, options(2, 0)).profile(scratch, data, null);
            assertThat(result.score(Score.AGF)[1][2]).isZero();
            assertThat(result.score(Score.AGF_DENSE)[1][2]).isZero();
            assertThat(result.score(Score.AGF)[1][0]).isPositive();
        }
    }

    @Test
    void unroutedExpertScoresZeroWhenRouted() {
        try (NDManager scratch = manager.newSubManager()) {
            VitMoe copy = new VitMoe(model.config(), copyParameters(scratch));
            // Every token of layer 0 becomes the same vector of ones, so every token picks experts 0 and 1.
            TinyModels.fill(copy, "blocks.0.ln2.gamma", 0f);
            TinyModels.fill(copy, "blocks.0.ln2.beta", 1f);
            NDArray gate = copy.parameter("blocks.0.gate.weight");
            gate.set(new ai.djl.ndarray.index.NDIndex(":"), scratch.create(new float[] {1f, 0.5f, 0f, -1f})
                    .reshape(1, 4).repeat(0, 16));
            ProfileResult result = new UtilityProfiler(copy, options(2, 0)).profile(scratch, data, null);
            assertThat(result.score(Score.FREQUENCY)[0][3]).isZero();
            assertThat(result.score(Score.AGF)[0][3]).isZero();
            assertThat(result.score(Score.REAP)[0][3]).isZero();
            assertThat(result.score(Score.AGF_DENSE)[0][3]).as("dense AGF still sees the expert").isGreaterThanOrEqualTo(0);
        }
    }

    @Test
    void taskExpertOutranksNoiseExpert() {
        try (NDManager scratch = manager.newSubManager()) {
            VitMoe copy = new VitMoe(model.config(), copyParameters(scratch));
            ProfileResult trained = new UtilityProfiler(copy, options(2, 0)).profile(scratch, data, null);
            double[] share = trained.score(Score.FREQUENCY)[1];
            int task = argMax(share);
            int noise = (task + 1) % 4;
            // The noise expert keeps its routing but emits near-zero random vectors from large weights.
            String p = "blocks.1.experts." + noise + ".";
            copy.parameter(p + "fc1.weight").muli(10);
            NDArray fc2 = copy.parameter(p + "fc2.weight");
            fc2.subi(fc2).addi(scratch.randomNormal(0, 1e-4f, fc2.getShape(), fc2.getDataType()));
            TinyModels.fill(copy, p + "fc2.bias", 0f);

            ProfileResult result = new UtilityProfiler(copy, options(2, 0)).profile(scratch, data, null);

            double[] agf = result.score(Score.AGF)[1];
            assertThat(agf[task]).as("AGF of the task expert %d", task).isGreaterThan(agf[noise] * 10);
            assertThat(rank(agf, task)).as("rank of the task expert by AGF").isLessThanOrEqualTo(2);
            double[] norms = result.score(Score.WEIGHT_NORM)[1];
            assertThat(norms[noise]).as("weight norm prefers the noise expert").isGreaterThan(norms[task]);
        }
    }

    /**
     * In the last MoE layer every token goes to experts 0 and 1 (gate weights about 0.83 and 0.17).
     * Expert 0 alone writes a large vector that makes the head predict class 3 with near certainty.
     * Expert 1 adds a random vector that would hide it. With the model's own predictions as targets the
     * loss gradient is almost zero where the model is confident, so first-order AGF is nearly blind there.
     */
    @Test
    void confidentExpertFoundByPathAndAblation() {
        try (NDManager scratch = manager.newSubManager()) {
            VitMoe copy = VitMoe.initialise(scratch, TinyModels.CONFIG, 11);
            int d = TinyModels.CONFIG.width();
            TinyModels.fill(copy, "blocks.1.ln2.gamma", 0f);
            TinyModels.fill(copy, "blocks.1.ln2.beta", 1f);
            NDArray gate = copy.parameter("blocks.1.gate.weight");
            gate.set(new ai.djl.ndarray.index.NDIndex(":"), scratch.create(new float[] {1f, 0.9f, 0f, 0f})
                    .reshape(1, 4).repeat(0, d));
            java.util.Random random = new java.util.Random(5);
            for (int e = 0; e < 4; e++) {
                String p = "blocks.1.experts." + e + ".";
                TinyModels.fill(copy, p + "fc2.weight", 0f);
                float[] bias = new float[d];
                if (e == 0) {
                    bias[0] = 50f;
                } else if (e == 1) {
                    for (int i = 0; i < d; i++) {
                        bias[i] = (float) (random.nextGaussian() * 100);
                    }
                }
                copy.parameter(p + "fc2.bias").set(new ai.djl.ndarray.index.NDIndex(":"), scratch.create(bias));
            }
            TinyModels.fill(copy, "head.weight", 0f);
            copy.parameter("head.weight").set(new ai.djl.ndarray.index.NDIndex("0, 3"), 10f);

            ProfileOptions labelFree = new ProfileOptions(2, 32, true, 3, 4, 2, true, false, 0);
            ProfileResult result = new UtilityProfiler(copy, labelFree).profile(scratch, data, null);

            double[] path = result.score(Score.AGF_PATH)[1];
            double[] ablation = result.score(Score.ABLATION)[1];
            assertThat(path[0]).as("agf-path of the class expert over the distractor's").isGreaterThan(path[1]);
            assertThat(path[0]).as("agf-path of the class expert over unrouted experts'").isGreaterThan(path[2]);
            assertThat(ablation[0]).as("ablation of the class expert over the distractor's").isGreaterThan(ablation[1]);
            assertThat(ablation[0]).as("ablation of the class expert").isGreaterThan(0.1);
            assertThat(result.score(Score.AGF)[1][0]).as("first-order AGF is nearly blind here")
                    .isLessThan(path[0] / 100);
        }
    }

    private static int rank(double[] scores, int expert) {
        return PoolSelector.ranked(scores).indexOf(expert) + 1;
    }

    private static int argMax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void sameSeedGivesSameProfile(@TempDir Path dir) throws Exception {
        ProfileOptions options = options(2, 0);
        ProfileResult first = new UtilityProfiler(model, options).profile(manager, data, null);
        ProfileResult second = new UtilityProfiler(model, options).profile(manager, data, null);
        for (Score score : first.scores().keySet()) {
            assertThat(second.score(score)).as(score.id()).isDeepEqualTo(first.score(score));
        }

        UtilityProfile profile = UtilityProfile.of("tiny 1", "abc", options, first, null, null);
        Path file = dir.resolve("profile.json");
        profile.write(file);
        UtilityProfile read = UtilityProfile.read(file);
        assertThat(read).isEqualTo(profile);
        assertThat(read.scores("agf")).isDeepEqualTo(first.score(Score.AGF));
    }

    @Test
    void ablationEqualsMaskedModelLossChange() {
        ProfileOptions options = new ProfileOptions(1, 32, false, 3, 0, 1, true, false, 0);
        ProfileResult result = new UtilityProfiler(model, options).profile(manager, data, null);
        NDArray[] batch = firstCalibrationBatch();
        NDArray images = batch[0];
        NDArray target = batch[1];
        UtilityProfiler profiler = new UtilityProfiler(model, options);
        float base = Losses.crossEntropy(model.forward(images, null, null).logits(), target).getFloat();
        for (int layer = 0; layer < 2; layer++) {
            for (int expert = 0; expert < 4; expert++) {
                float masked = Losses.crossEntropy(
                        model.forward(images, profiler.maskOne(layer, expert), null).logits(), target).getFloat();
                assertThat(result.score(Score.ABLATION)[layer][expert]).as("layer %d expert %d", layer, expert)
                        .isCloseTo(masked - base, within(1e-5));
            }
        }
    }

    @Test
    void pathAtZeroEqualsFirstOrderBitwise() {
        ProfileOptions options = new ProfileOptions(2, 32, false, 3, 1, 2, false, false, 0);
        ProfileResult result = new UtilityProfiler(model, options, new double[] {0.0}).profile(manager, data, null);
        assertThat(result.score(Score.AGF_PATH)).isDeepEqualTo(result.score(Score.AGF));
    }

    @Test
    void pathSumApproachesRemovalLossChange() {
        NDArray images = TinyModels.images(manager, data, 0, 16);
        long[] labels = new long[16];
        for (int i = 0; i < 16; i++) {
            labels[i] = data.label(i);
        }
        NDArray target = manager.create(labels);
        VitMoe.Forward forward = model.forward(images, null, null);
        float base = Losses.crossEntropy(forward.logits(), target).getFloat();
        MoeTrace trace = forward.traces().get(1);
        int expert = argMax(trace.counts());
        ProfileOptions options = new ProfileOptions(1, 16, false, 0, 1, 1, false, false, 0);
        UtilityProfiler profiler = new UtilityProfiler(model, options);
        float exact = profiler.removalLossChange(trace, expert, target, base);

        double previous = Double.POSITIVE_INFINITY;
        for (int k : new int[] {1, 2, 4, 8}) {
            NDArray maps = profiler.featureMaps(trace);
            NDArray mean = null;
            for (double t : UtilityProfiler.midpoints(k)) {
                NDArray g = profiler.pathGradient(manager, trace, maps, t, target);
                mean = mean == null ? g : mean.add(g);
            }
            mean = mean.div(k);
            double signed = maps.get(expert).mul(mean.get(expert)).sum().getFloat();
            double error = Math.abs(signed + exact);
            assertThat(error).as("error with K = %d", k).isLessThanOrEqualTo(previous + 1e-7);
            previous = error;
        }
        assertThat(previous).as("error with K = 8").isLessThan(Math.abs(exact) * 0.05 + 1e-5);
    }

    @Test
    void calibrationLargerThanDataIsRejected() {
        ProfileOptions options = new ProfileOptions(100, 64, false, 0, 0, 1, false, false, 0);
        assertThatThrownBy(() -> new UtilityProfiler(model, options).profile(manager, data.slice(0, 100), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("6400 images")
                .hasMessageContaining("only 100");
    }

    private java.util.Map<String, NDArray> copyParameters(NDManager target) {
        java.util.Map<String, NDArray> out = new java.util.LinkedHashMap<>();
        model.parameters().forEach((k, v) -> out.put(k, v.duplicate()));
        return out;
    }

    private static int argMax(long[] counts) {
        int best = 0;
        for (int i = 1; i < counts.length; i++) {
            if (counts[i] > counts[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void selectorKeepsTopScoresPerLayer() {
        double[][] scores = {{0.1, 0.4, 0.3, 0.2}, {0.9, 0.1, 0.5, 0.7}};
        assertThat(PoolSelector.select(scores, 0.5, PoolSelector.Budget.PER_LAYER, 2))
                .isEqualTo(List.of(List.of(1, 2), List.of(0, 3)));
        assertThat(PoolSelector.select(scores, 0.25, PoolSelector.Budget.PER_LAYER, 2))
                .as("never fewer than top-k").isEqualTo(List.of(List.of(1, 2), List.of(0, 3)));
        assertThatThrownBy(() -> PoolSelector.select(scores, 1.5, PoolSelector.Budget.PER_LAYER, 2))
                .hasMessage("keep ratio must be in (0, 1], got 1.5");
        assertThatThrownBy(() -> PoolSelector.select(scores, 0, PoolSelector.Budget.GLOBAL, 2))
                .hasMessage("keep ratio must be in (0, 1], got 0.0");
    }

    @Test
    void globalBudgetMayDifferPerLayer() {
        double[][] scores = {{10, 9, 8, 7, 0.1, 0.1}, {1, 0.1, 0.1, 0.1, 0.1, 0.1}};
        List<List<Integer>> pools = PoolSelector.select(scores, 0.5, PoolSelector.Budget.GLOBAL, 2);
        assertThat(pools.get(0).size() + pools.get(1).size()).isEqualTo(6);
        assertThat(pools.get(1)).hasSizeGreaterThanOrEqualTo(2);
        assertThat(pools.get(0)).hasSizeGreaterThan(pools.get(1).size());
    }
    @Test
    void eliminationRemovesCheapestThenRemeasures() {
        ProfileOptions options = new ProfileOptions(1, 32, false, 3, 0, 1, true, false, 1);
        ProfileResult result = new UtilityProfiler(model, options).profile(manager, data, null);
        double[][] order = result.score(Score.ABLATION_ITERATIVE);
        int layers = order.length;
        int experts = order[0].length;
        int topK = model.config().topK();

        List<Double> values = new java.util.ArrayList<>();
        for (double[] layer : order) {
            for (double v : layer) {
                values.add(v);
            }
        }
        values.sort(null);
        List<Double> expected = new java.util.ArrayList<>();
        for (int i = 1; i <= layers * experts; i++) {
            expected.add((double) i);
        }
        assertThat(values).as("removal order is a permutation of 1..L*E").isEqualTo(expected);
        int removable = layers * (experts - topK);
        for (double[] layer : order) {
            assertThat(java.util.Arrays.stream(layer).filter(v -> v > removable).count())
                    .as("top-k experts survive in every layer").isEqualTo(topK);
        }

        // Round 1 removes the expert whose single ablation costs least.
        double[][] single = result.score(Score.ABLATION);
        int[] first = find(order, 1);
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                assertThat(single[l][e]).as("ablation of layer %d expert %d", l, e)
                        .isGreaterThanOrEqualTo(single[first[0]][first[1]]);
            }
        }

        // Round 2, measured here directly on the masked model: the cheapest removal with the first one masked.
        NDArray[] batch = firstCalibrationBatch();
        NDArray images = batch[0];
        NDArray target = batch[1];
        float base = Losses.crossEntropy(model.forward(images, maskAll(List.of(first)), null).logits(), target)
                .getFloat();
        double cheapest = Double.POSITIVE_INFINITY;
        double[][] cost = new double[layers][experts];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                if (l == first[0] && e == first[1]) {
                    continue;
                }
                cost[l][e] = Losses.crossEntropy(model.forward(images, maskAll(List.of(first, new int[] {l, e})),
                        null).logits(), target).getFloat() - base;
                cheapest = Math.min(cheapest, cost[l][e]);
            }
        }
        int[] second = find(order, 2);
        assertThat(cost[second[0]][second[1]]).as("cost of the second expert removed")
                .isCloseTo(cheapest, within(1e-5));
    }

    @Test
    void sharedScaleGlobalBudgetKeepsTheLastSurvivors() {
        // Removal order over two layers: layer 1's experts were removed last, so a global keep of 6 takes
        // four of them, which per-layer normalization (each layer summing to 1) would not.
        double[][] order = {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}};
        assertThat(PoolSelector.select(order, 0.5, PoolSelector.Budget.GLOBAL, 2, true))
                .isEqualTo(List.of(List.of(4, 5), List.of(2, 3, 4, 5)));
        assertThat(PoolSelector.select(order, 0.5, PoolSelector.Budget.GLOBAL, 2, false))
                .isEqualTo(List.of(List.of(3, 4, 5), List.of(3, 4, 5)));
    }

    private static int[] find(double[][] scores, double value) {
        for (int l = 0; l < scores.length; l++) {
            for (int e = 0; e < scores[l].length; e++) {
                if (scores[l][e] == value) {
                    return new int[] {l, e};
                }
            }
        }
        throw new AssertionError("no expert with score " + value);
    }

    /** Routing that masks every listed {layer, expert}, written here independently of the profiler's own. */
    private static dev.moeserve.profiler.model.Routing maskAll(List<int[]> masked) {
        return (layer, logits) -> {
            float[] row = new float[(int) logits.getShape().get(1)];
            for (int[] m : masked) {
                if (m[0] == layer) {
                    row[m[1]] = Float.NEGATIVE_INFINITY;
                }
            }
            return logits.add(logits.getManager().create(row));
        };
    }

    /** Returns the images and labels of the first calibration batch of 32 that seed 3 draws. */
    private static NDArray[] firstCalibrationBatch() {
        int[] chosen = UtilityProfiler.choose(data.count(), 32, 3);
        long[] labels = new long[32];
        for (int i = 0; i < 32; i++) {
            labels[i] = data.label(chosen[i]);
        }
        NDArray images = manager.create(data.imagesAsFloats(chosen), new ai.djl.ndarray.types.Shape(32, 28, 28));
        return new NDArray[] {images, manager.create(labels)};
    }
}
