package dev.moeserve.profiler.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.model.progress.ProgressBar;
import dev.moeserve.model.progress.ProgressLine;
import dev.moeserve.profiler.model.MoeTrace;
import dev.moeserve.profiler.model.VitMoe;
import dev.moeserve.model.vit.VitMoeConfig;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains the reference ViT-MoE with Adam, a cosine learning-rate schedule, horizontal flips and the
 * Switch-Transformer load-balancing loss {@code E * sum_e f_e * P_e} per MoE layer, where {@code f_e} is
 * the share of routed slots and {@code P_e} the mean gate probability of expert e.
 */
public final class MoeTrainer {

    /** Options of one training run. */
    public record Options(int epochs, int batchSize, float learningRate, float weightDecay,
                          float balanceWeight, float clipNorm, long seed, int limit) {
        public Options {
            if (epochs < 0) {
                throw new IllegalArgumentException("epochs must be at least 0, got " + epochs);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
            }
        }
    }

    /** Test accuracy after each epoch, and the seconds it took. */
    public record EpochResult(int epoch, double loss, double balanceLoss, double testAccuracy, double seconds) {
    }

    private final VitMoe model;
    private final Options options;
    private final PrintStream out;
    private final Map<String, NDArray> firstMoment = new java.util.LinkedHashMap<>();
    private final Map<String, NDArray> secondMoment = new java.util.LinkedHashMap<>();
    private long step;
    private int skippedSteps;

    public MoeTrainer(VitMoe model, Options options, PrintStream out) {
        this.model = model;
        this.options = options;
        this.out = out;
    }

    /** Trains on {@code train} and reports accuracy on {@code test} after every epoch. */
    public List<EpochResult> train(NDManager manager, FashionMnist.Split train, FashionMnist.Split test) {
        for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
            p.getValue().setRequiresGradient(true);
            firstMoment.put(p.getKey(), manager.zeros(p.getValue().getShape()));
            secondMoment.put(p.getKey(), manager.zeros(p.getValue().getShape()));
        }
        int count = options.limit() > 0 ? Math.min(options.limit(), train.count()) : train.count();
        int batches = count / options.batchSize();
        long totalSteps = (long) batches * options.epochs();
        Random random = new Random(options.seed());
        List<EpochResult> results = new ArrayList<>();
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            long started = System.nanoTime();
            int[] permutation = shuffle(count, random);
            double lossSum = 0;
            double balanceSum = 0;
            ProgressBar progress = new ProgressBar(ProgressLine.on(out), "epoch " + epoch + "/" + options.epochs(), batches);
            for (int b = 0; b < batches; b++) {
                float[][] batch = batch(train, permutation, b * options.batchSize(), options.batchSize(), random);
                double lr = cosine(options.learningRate(), step, totalSteps);
                double[] losses = step(manager, batch[0], batch[1], lr);
                lossSum += losses[0];
                balanceSum += losses[1];
                progress.update(b + 1, String.format("loss %.4f", lossSum / (b + 1)));
            }
            double accuracy = Evaluation.accuracy(manager, model, test, 500);
            double seconds = (System.nanoTime() - started) / 1e9;
            progress.finish(String.format("loss %.4f  balance %.4f  test accuracy %.2f%%  %.0f s",
                    lossSum / batches, balanceSum / batches, accuracy * 100, seconds));
            if (skippedSteps > 0) {
                out.printf("  %d steps skipped so far because a gradient was not finite%n", skippedSteps);
            }
            results.add(new EpochResult(epoch, lossSum / batches, balanceSum / batches, accuracy, seconds));
        }
        for (NDArray p : model.parameters().values()) {
            p.setRequiresGradient(false);
        }
        return results;
    }

    private double[] step(NDManager manager, float[] pixels, float[] labels, double lr) {
        int n = labels.length;
        double loss;
        double balance;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray images = manager.create(pixels, new Shape(n, 28, 28));
            NDArray target = manager.create(labels, new Shape(n)).toType(DataType.INT64, false);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.zeroGradients();
                VitMoe.Forward forward = model.forward(images, null, null);
                NDArray crossEntropy = Losses.crossEntropy(forward.logits(), target);
                NDArray balanceLoss = balanceLoss(manager, forward.traces());
                NDArray total = crossEntropy.add(balanceLoss.mul(options.balanceWeight()));
                collector.backward(total);
                loss = crossEntropy.getFloat();
                balance = balanceLoss.getFloat();
            }
            double norm = gradientNorm();
            if (!Double.isFinite(norm)) {
                skippedSteps++;
                return new double[] {loss, balance};
            }
            adam(lr, Math.min(1.0, options.clipNorm() / norm));
        }
        return new double[] {loss, balance};
    }

    private NDArray balanceLoss(NDManager manager, List<MoeTrace> traces) {
        int experts = model.config().experts();
        NDArray sum = manager.zeros(new Shape());
        for (MoeTrace trace : traces) {
            long slots = 0;
            for (long c : trace.counts()) {
                slots += c;
            }
            float[] share = new float[experts];
            for (int e = 0; e < experts; e++) {
                share[e] = (float) trace.counts()[e] / slots;
            }
            NDArray meanProbability = trace.logits().softmax(-1).mean(new int[] {0});
            sum = sum.add(meanProbability.mul(manager.create(share)).sum().mul(experts));
        }
        return sum.div(traces.size());
    }

    /** Global L2 norm of all gradients; NaN or infinite when any gradient is. */
    private double gradientNorm() {
        double sum = 0;
        for (NDArray p : model.parameters().values()) {
            sum += p.getGradient().square().sum().getFloat();
        }
        return Math.sqrt(sum);
    }

    /** AdamW step on gradients scaled by {@code scale}, decoupled weight decay on matrices only, in place. */
    private void adam(double lr, double scale) {
        step++;
        double beta1 = 0.9;
        double beta2 = 0.999;
        double correction1 = 1 - Math.pow(beta1, step);
        double correction2 = 1 - Math.pow(beta2, step);
        for (Map.Entry<String, NDArray> entry : model.parameters().entrySet()) {
            NDArray p = entry.getValue();
            NDArray grad = p.getGradient().mul(scale);
            NDArray m = firstMoment.get(entry.getKey());
            NDArray v = secondMoment.get(entry.getKey());
            m.muli(beta1).addi(grad.mul(1 - beta1));
            v.muli(beta2).addi(grad.square().mul(1 - beta2));
            NDArray update = m.div(correction1).div(v.div(correction2).sqrt().add(1e-8));
            if (p.getShape().dimension() >= 2 && options.weightDecay() > 0) {
                update = update.add(p.mul(options.weightDecay()));
            }
            p.subi(update.mul(lr));
        }
    }

    private static double cosine(double base, long step, long total) {
        long warmup = Math.max(1, total / 50);
        if (step < warmup) {
            return base * (step + 1) / warmup;
        }
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return base * 0.5 * (1 + Math.cos(Math.PI * progress));
    }

    private static int[] shuffle(int count, Random random) {
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        for (int i = count - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Builds one batch of pixels (flipped left-right with probability 1/2) and labels. */
    private static float[][] batch(FashionMnist.Split data, int[] order, int from, int size, Random random) {
        float[] pixels = new float[size * FashionMnist.PIXELS];
        float[] labels = new float[size];
        for (int i = 0; i < size; i++) {
            int index = order[from + i];
            float[] image = data.imageAsFloats(index);
            boolean flip = random.nextBoolean();
            for (int r = 0; r < 28; r++) {
                for (int c = 0; c < 28; c++) {
                    int source = r * 28 + (flip ? 27 - c : c);
                    pixels[i * FashionMnist.PIXELS + r * 28 + c] = image[source];
                }
            }
            labels[i] = data.label(index);
        }
        return new float[][] {pixels, labels};
    }
}
