package dev.moeserve.profiler.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.LayerNorm;
import dev.moeserve.model.vit.VitMoeConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The reference ViT-MoE written as plain DJL array operations over named parameters.
 *
 * <p>Being functional (no DJL blocks) keeps the parameter names identical to the safetensors file and
 * the exported ONNX graphs, and lets the profiler hook into every MoE layer. Each block computes
 * {@code h = h + Attn(LN1(h))}, then {@code u = LN2(h)} and {@code h = h + MoE(u)}, where
 * {@code MoE(u) = sum over the token's top-k experts e of g_e(u) * E_e(u)} and {@code g} is the softmax
 * over the chosen k gate logits. Experts run only on the tokens routed to them: slots are sorted by
 * expert, gathered, run per expert and gathered back, so autograd needs no scatter.
 */
public final class VitMoe {

    private final VitMoeConfig config;
    private final Map<String, NDArray> parameters;

    public VitMoe(VitMoeConfig config, Map<String, NDArray> parameters) {
        this.config = config;
        this.parameters = parameters;
    }

    public VitMoeConfig config() {
        return config;
    }

    /** Parameters by name, in a stable order. */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    public NDArray parameter(String name) {
        NDArray p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("parameter not found: " + name);
        }
        return p;
    }

    /** Creates freshly initialised parameters from {@code seed}. */
    public static VitMoe initialise(NDManager manager, VitMoeConfig c, long seed) {
        Random random = new Random(seed);
        Map<String, NDArray> p = new LinkedHashMap<>();
        int d = c.width();
        put(p, manager, "stem.weight", normal(random, 0.3f, c.stemChannels(), 1, 3, 3));
        put(p, manager, "stem.bias", zeros(c.stemChannels()));
        float patchStd = (float) Math.sqrt(1.0 / (c.stemChannels() * c.patch() * c.patch()));
        put(p, manager, "patch.weight", normal(random, patchStd, d, c.stemChannels(), c.patch(), c.patch()));
        put(p, manager, "patch.bias", zeros(d));
        put(p, manager, "cls", normal(random, 0.02f, d));
        put(p, manager, "pos", normal(random, 0.02f, c.tokens(), d));
        for (int l = 0; l < c.layers(); l++) {
            String b = "blocks." + l + ".";
            put(p, manager, b + "ln1.gamma", ones(d));
            put(p, manager, b + "ln1.beta", zeros(d));
            put(p, manager, b + "attn.qkv.weight", normal(random, 0.02f, d, 3 * d));
            put(p, manager, b + "attn.qkv.bias", zeros(3 * d));
            put(p, manager, b + "attn.proj.weight", normal(random, 0.02f, d, d));
            put(p, manager, b + "attn.proj.bias", zeros(d));
            put(p, manager, b + "ln2.gamma", ones(d));
            put(p, manager, b + "ln2.beta", zeros(d));
            put(p, manager, b + "gate.weight", normal(random, 0.02f, d, c.experts()));
            for (int e = 0; e < c.experts(); e++) {
                String x = b + "experts." + e + ".";
                put(p, manager, x + "fc1.weight", normal(random, 0.02f, d, c.expertHidden()));
                put(p, manager, x + "fc1.bias", zeros(c.expertHidden()));
                put(p, manager, x + "fc2.weight", normal(random, 0.02f, c.expertHidden(), d));
                put(p, manager, x + "fc2.bias", zeros(d));
            }
        }
        put(p, manager, "norm.gamma", ones(d));
        put(p, manager, "norm.beta", zeros(d));
        put(p, manager, "head.weight", normal(random, 0.02f, d, c.classes()));
        put(p, manager, "head.bias", zeros(c.classes()));
        return new VitMoe(c, p);
    }

    /** Loads parameters saved with DJL's safetensors encoding, checking names and shapes against {@code c}. */
    public static VitMoe fromSafetensors(NDManager manager, VitMoeConfig c, java.nio.file.Path file)
            throws java.io.IOException {
        VitMoe fresh = initialise(manager, c, 0);
        Map<String, NDArray> loaded = new LinkedHashMap<>();
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            for (NDArray array : NDList.decode(manager, in)) {
                loaded.put(array.getName(), array);
            }
        }
        Map<String, NDArray> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> p : fresh.parameters().entrySet()) {
            NDArray value = loaded.get(p.getKey());
            if (value == null) {
                throw new IllegalArgumentException(file + " has no tensor " + p.getKey());
            }
            if (!value.getShape().equals(p.getValue().getShape())) {
                throw new IllegalArgumentException(file + ": " + p.getKey() + " must have shape "
                        + p.getValue().getShape() + ", got " + value.getShape());
            }
            p.getValue().close();
            ordered.put(p.getKey(), value);
        }
        return new VitMoe(c, ordered);
    }

    /** Runs the model on images {@code [B, 28, 28]} scaled to [0, 1] and returns the logits {@code [B, classes]}. */
    public Forward forward(NDArray images, Routing routing, LayerHook hook) {
        return forwardFrom(0, embed(images), routing, hook);
    }

    /**
     * Continues a forward pass at block {@code layer} from the residual stream {@code h [B, T, d]} that
     * enters that block. {@link MoeTrace#residual()} of a previous pass is such a stream for its layer + 1,
     * and {@link MoeTrace#attended()} is the stream inside its own block, after attention.
     */
    public Forward forwardFrom(int layer, NDArray h, Routing routing, LayerHook hook) {
        List<MoeTrace> traces = new ArrayList<>();
        for (int l = layer; l < config.layers(); l++) {
            h = h.add(attention(l, h));
            Forward tail = continueAfterAttention(l, h, routing, hook, traces);
            if (tail != null) {
                return tail;
            }
            h = traces.get(traces.size() - 1).residual();
        }
        return new Forward(head(h), traces);
    }

    /**
     * Runs the MoE layer of block {@code layer} on the stream after its attention, {@code attended},
     * with {@code y} replacing the layer's MoE output when not null, then the remaining blocks.
     */
    public Forward resumeAtMoe(int layer, NDArray attended, NDArray y, Routing routing) {
        long batch = attended.getShape().get(0);
        NDArray h = attended;
        if (y != null) {
            h = h.add(y.reshape(batch, config.tokens(), config.width()));
            return layer + 1 < config.layers() ? forwardFrom(layer + 1, h, routing, null)
                    : new Forward(head(h), List.of());
        }
        List<MoeTrace> traces = new ArrayList<>();
        continueAfterAttention(layer, h, routing, null, traces);
        NDArray residual = traces.get(0).residual();
        if (layer + 1 < config.layers()) {
            Forward rest = forwardFrom(layer + 1, residual, routing, null);
            traces.addAll(rest.traces());
            return new Forward(rest.logits(), traces);
        }
        return new Forward(head(residual), traces);
    }

    private Forward continueAfterAttention(int l, NDArray attended, Routing routing, LayerHook hook,
                                           List<MoeTrace> traces) {
        long batch = attended.getShape().get(0);
        int d = config.width();
        NDArray u = layerNorm(attended, "blocks." + l + ".ln2").reshape(batch * config.tokens(), d);
        MoeTrace trace = moe(l, u, routing, attended);
        NDArray y = hook == null ? trace.output() : hook.apply(trace);
        NDArray residual = attended.add(y.reshape(batch, config.tokens(), d));
        traces.add(trace.withResidual(residual));
        return null;
    }

    private NDArray head(NDArray h) {
        NDArray cls = layerNorm(h, "norm").get(new NDIndex(":, 0, :"));
        return cls.matMul(parameter("head.weight")).add(parameter("head.bias"));
    }

    /** Stem convolution, patch projection, class token and position embedding: {@code [B, T, d]}. */
    NDArray embed(NDArray images) {
        long batch = images.getShape().get(0);
        NDArray x = images.reshape(batch, 1, 28, 28).sub(VitMoeConfig.PIXEL_MEAN).div(VitMoeConfig.PIXEL_STD);
        x = Conv2d.conv2d(x, parameter("stem.weight"), parameter("stem.bias"),
                new Shape(1, 1), new Shape(1, 1)).singletonOrThrow();
        x = gelu(x);
        x = Conv2d.conv2d(x, parameter("patch.weight"), parameter("patch.bias"),
                new Shape(config.patch(), config.patch())).singletonOrThrow();
        int grid = config.gridSide();
        x = x.reshape(batch, config.width(), (long) grid * grid).transpose(0, 2, 1);
        NDArray cls = parameter("cls").reshape(1, 1, config.width()).repeat(0, batch);
        return cls.concat(x, 1).add(parameter("pos"));
    }

    NDArray attention(int layer, NDArray h) {
        String b = "blocks." + layer + ".";
        long batch = h.getShape().get(0);
        int t = config.tokens();
        int heads = config.heads();
        int hd = config.headDim();
        NDArray x = layerNorm(h, b + "ln1");
        NDArray qkv = x.matMul(parameter(b + "attn.qkv.weight")).add(parameter(b + "attn.qkv.bias"));
        qkv = qkv.reshape(batch, t, 3, heads, hd).transpose(2, 0, 3, 1, 4);
        NDArray q = qkv.get(0);
        NDArray k = qkv.get(1);
        NDArray v = qkv.get(2);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(1.0 / Math.sqrt(hd)).softmax(-1);
        NDArray context = scores.matMul(v).transpose(0, 2, 1, 3).reshape(batch, t, config.width());
        return context.matMul(parameter(b + "attn.proj.weight")).add(parameter(b + "attn.proj.bias"));
    }

    /** Routes tokens {@code u [N, d]} of one layer and returns the trace with the combined output. */
    MoeTrace moe(int layer, NDArray u, Routing routing, NDArray attended) {
        String b = "blocks." + layer + ".";
        int k = config.topK();
        NDArray logits = u.matMul(parameter(b + "gate.weight"));
        NDArray routingLogits = routing == null ? logits : routing.adjust(layer, logits);
        NDList top = routingLogits.topK(k, -1, true, true);
        NDArray topIndex = top.get(1);
        // Gate weights: softmax over the chosen k of the routing logits (the learned ones unless a policy adjusts them).
        NDArray chosenLogits = routingLogits.gather(topIndex, 1);
        NDArray weights = chosenLogits.softmax(-1);

        long n = u.getShape().get(0);
        NDArray flatExpert = topIndex.reshape(n * k);
        NDArray order = flatExpert.argSort(0, true);
        long[] counts = countPerExpert(flatExpert.toLongArray());
        // Slot i * k + s is token i; gathering slots by a permutation keeps every index unique.
        NDArray slots = u.expandDims(1).repeat(1, k).reshape(n * k, config.width());
        NDArray gathered = slots.get(order);

        List<NDArray> outputs = new ArrayList<>();
        long start = 0;
        for (int e = 0; e < config.experts(); e++) {
            if (counts[e] == 0) {
                continue;
            }
            NDArray chunk = gathered.get(new NDIndex("{}:{}", start, start + counts[e]));
            outputs.add(expert(layer, e, chunk));
            start += counts[e];
        }
        NDArray sortedOut = ai.djl.ndarray.NDArrays.concat(new NDList(outputs));
        NDArray inverse = order.argSort(0, true);
        NDArray slotOut = sortedOut.get(inverse).reshape(n, k, config.width());
        NDArray output = slotOut.mul(weights.expandDims(2)).sum(new int[] {1});
        return new MoeTrace(layer, u, logits, topIndex, weights, slotOut, counts, output, attended, null);
    }

    /** Runs expert {@code e} of {@code layer} on tokens {@code [n, d]}: fc2(gelu(fc1(x))). */
    public NDArray expert(int layer, int e, NDArray x) {
        String p = "blocks." + layer + ".experts." + e + ".";
        NDArray hidden = gelu(x.matMul(parameter(p + "fc1.weight")).add(parameter(p + "fc1.bias")));
        return hidden.matMul(parameter(p + "fc2.weight")).add(parameter(p + "fc2.bias"));
    }

    private long[] countPerExpert(long[] flatExpert) {
        long[] counts = new long[config.experts()];
        for (long e : flatExpert) {
            counts[(int) e]++;
        }
        return counts;
    }

    private NDArray layerNorm(NDArray x, String prefix) {
        return LayerNorm.layerNorm(x, new Shape(config.width()), parameter(prefix + ".gamma"),
                parameter(prefix + ".beta"), VitMoeConfig.LAYER_NORM_EPS).singletonOrThrow();
    }

    /**
     * Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}: the ONNX graphs write the same formula. Torch's own
     * kernel is used because the backward of the same formula composed from DJL operations gave NaN
     * gradients in training (DJL 0.36, PyTorch 2.7.1).
     */
    static NDArray gelu(NDArray x) {
        return ai.djl.nn.Activation.gelu(x);
    }

    private static void put(Map<String, NDArray> p, NDManager manager, String name, float[] values, long... shape) {
        NDArray array = manager.create(values, new Shape(shape));
        array.setName(name);
        p.put(name, array);
    }

    private static void put(Map<String, NDArray> p, NDManager manager, String name, Init init) {
        put(p, manager, name, init.values, init.shape);
    }

    private record Init(float[] values, long[] shape) {
    }

    private static Init normal(Random random, float std, long... shape) {
        float[] v = new float[(int) new Shape(shape).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return new Init(v, shape);
    }

    private static Init zeros(long... shape) {
        return new Init(new float[(int) new Shape(shape).size()], shape);
    }

    private static Init ones(long... shape) {
        float[] v = new float[(int) new Shape(shape).size()];
        java.util.Arrays.fill(v, 1f);
        return new Init(v, shape);
    }

    /** Logits and the per-layer MoE traces of one forward pass. */
    public record Forward(NDArray logits, List<MoeTrace> traces) {
    }

    /** Replaces a layer's MoE output, for example to add a gradient probe or remove an expert's share. */
    @FunctionalInterface
    public interface LayerHook {
        NDArray apply(MoeTrace trace);
    }
}
