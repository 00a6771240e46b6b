package dev.moeserve.profiler.agf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.moeserve.model.progress.ProgressBar;
import dev.moeserve.model.progress.ProgressLine;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.profiler.model.MoeTrace;
import dev.moeserve.profiler.model.Routing;
import dev.moeserve.profiler.model.VitMoe;
import dev.moeserve.profiler.train.Losses;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * {@code ablation-iterative}: backward elimination by exact ablation. Each round masks the experts removed
 * so far, measures for every remaining expert the calibration loss increase when it is masked as well
 * (one forward from its layer on, tokens re-routed), and removes the {@code step} experts whose removal
 * costs least, never leaving a layer with fewer than top-k experts. Rounds go on until every layer has
 * exactly top-k experts left.
 *
 * <p>Single-expert ablation measures each expert against the full model, so it cannot see that two
 * experts cover for each other and losing both costs much more than the sum. Elimination re-measures
 * after every round, which is what matters when most experts go (keep 0.25).
 *
 * <p>The score is the removal order over all layers: 1 for the first expert removed, up to
 * {@code L x E} for the survivor whose removal would cost most (survivors are ordered by their last
 * measured cost). It is one scale across layers, so a global budget ranks it without normalizing per
 * layer, and the top {@code n} experts are exactly the last {@code n} left by elimination
 * ({@link Score#sharedScale()}).
 */
final class IterativeAblation {

    private final VitMoe model;
    private final VitMoeConfig config;
    private final int step;

    IterativeAblation(VitMoe model, int step) {
        if (step < 1) {
            throw new IllegalArgumentException("elimination step must be at least 1, got " + step);
        }
        this.model = model;
        this.config = model.config();
        this.step = step;
    }

    /** One calibration batch: images {@code [B, 28, 28]} as floats and the target class of each image. */
    record Batch(float[] pixels, long[] targets) {
    }

    /**
     * Returns the removal-order score {@code [L][E]}, higher for experts removed later. {@code ablation},
     * the single-expert ablation of the same batches or null, replaces the first round's costs.
     * Progress goes to {@code out} unless it is null.
     */
    double[][] scores(NDManager manager, List<Batch> batches, double[][] ablation, PrintStream out) {
        int layers = config.layers();
        int experts = config.experts();
        boolean[][] removed = new boolean[layers][experts];
        int[] left = new int[layers];
        Arrays.fill(left, experts);
        double[][] order = new double[layers][experts];
        int removable = layers * (experts - config.topK());

        // A step above the removable count removes everything removable in one round.
        int perRound = Math.min(step, Math.max(1, removable));
        int rounds = (removable + perRound - 1) / perRound + 1;
        ProgressBar progress = out == null ? null : new ProgressBar(ProgressLine.on(out), "eliminate", rounds);
        long started = System.nanoTime();
        int position = 0;
        int round = 0;
        double[][] cost;
        while (true) {
            boolean firstRound = round == 0 && ablation != null && position < removable;
            cost = firstRound ? ablation : costs(manager, batches, removed, position == removable ? null : left);
            round++;
            if (progress != null) {
                progress.update(round, (layers * experts - position) + " experts left");
            }
            if (position == removable) {
                break;
            }
            int removedThisRound = 0;
            for (int[] c : cheapestFirst(cost, removed)) {
                if (removedThisRound == perRound) {
                    break;
                }
                if (left[c[0]] > config.topK()) {
                    removed[c[0]][c[1]] = true;
                    left[c[0]]--;
                    order[c[0]][c[1]] = ++position;
                    removedThisRound++;
                }
            }
        }
        if (progress != null) {
            progress.finish(String.format("%d rounds of %d in %.1f s", round, perRound,
                    (System.nanoTime() - started) / 1e9));
        }

        // Survivors rank above every removed expert, and the costliest to remove ranks highest.
        for (int[] c : cheapestFirst(cost, removed)) {
            order[c[0]][c[1]] = ++position;
        }
        return order;
    }

    /** Returns the experts not yet removed, from the cheapest to remove to the costliest. */
    private static List<int[]> cheapestFirst(double[][] cost, boolean[][] removed) {
        List<int[]> remaining = new ArrayList<>();
        for (int l = 0; l < removed.length; l++) {
            for (int e = 0; e < removed[l].length; e++) {
                if (!removed[l][e]) {
                    remaining.add(new int[] {l, e});
                }
            }
        }
        remaining.sort(Comparator.comparingDouble((int[] c) -> cost[c[0]][c[1]])
                .thenComparingInt(c -> c[0]).thenComparingInt(c -> c[1]));
        return remaining;
    }

    /**
     * Mean over batches of the loss increase when each remaining expert is masked on top of
     * {@code removed}; zero for removed experts and for experts that receive no token. When {@code left}
     * is not null, layers already down to top-k experts are skipped, since none of theirs can go.
     */
    double[][] costs(NDManager manager, List<Batch> batches, boolean[][] removed, int[] left) {
        double[][] sum = new double[config.layers()][config.experts()];
        Routing base = mask(removed, -1, -1);
        for (Batch batch : batches) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                int b = batch.targets().length;
                NDArray images = manager.create(batch.pixels(), new Shape(b, 28, 28));
                NDArray target = manager.create(batch.targets());
                VitMoe.Forward forward = model.forward(images, base, null);
                float baseLoss = Losses.crossEntropy(forward.logits(), target).getFloat();
                for (MoeTrace trace : forward.traces()) {
                    int l = trace.layer();
                    if (left != null && left[l] <= config.topK()) {
                        continue;
                    }
                    for (int e = 0; e < config.experts(); e++) {
                        if (removed[l][e] || trace.counts()[e] == 0) {
                            continue;
                        }
                        try (NDScope inner = new NDScope()) {
                            inner.suppressNotUsedWarning();
                            NDArray logits = model.resumeAtMoe(l, trace.attended(), null, mask(removed, l, e)).logits();
                            sum[l][e] += Losses.crossEntropy(logits, target).getFloat() - baseLoss;
                        }
                    }
                }
            }
        }
        for (double[] layer : sum) {
            for (int e = 0; e < layer.length; e++) {
                layer[e] /= batches.size();
            }
        }
        return sum;
    }

    /** Returns routing that masks every removed expert and, when {@code layer >= 0}, {@code expert} of {@code layer}. */
    static Routing mask(boolean[][] removed, int layer, int expert) {
        int layers = removed.length;
        int experts = removed[0].length;
        float[][] rows = new float[layers][experts];
        boolean[] any = new boolean[layers];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                if (removed[l][e] || (l == layer && e == expert)) {
                    rows[l][e] = Float.NEGATIVE_INFINITY;
                    any[l] = true;
                }
            }
        }
        return (l, logits) -> any[l] ? logits.add(logits.getManager().create(rows[l])) : logits;
    }
}
