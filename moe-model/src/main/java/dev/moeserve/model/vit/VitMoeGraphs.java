package dev.moeserve.model.vit;

import dev.moeserve.model.onnx.OnnxGraph;
import dev.moeserve.model.onnx.OnnxGraph.Attribute;

/**
 * Writes the reference ViT-MoE as ONNX graphs: L + 1 trunk segments, one gate per MoE layer and one
 * graph per expert, following the tensor contract in {@code docs/bundle-format.md}.
 *
 * <p>The graphs repeat the DJL definition operation for operation (same GELU formula, layer-norm
 * epsilon and reshape order), so both agree to float rounding.
 */
public final class VitMoeGraphs {

    private static final String BATCH = "batch";
    private static final String TOKENS = "tokens";

    private final VitMoeConfig config;
    private final NamedWeights weights;

    public VitMoeGraphs(VitMoeConfig config, NamedWeights weights) {
        this.config = config;
        this.weights = weights;
    }

    /** Trunk segment {@code index} in 0..layers; the last one ends in the classifier head. */
    public OnnxGraph segment(int index) {
        if (index < 0 || index > config.layers()) {
            throw new IllegalArgumentException("segment must be between 0 and " + config.layers() + ", got " + index);
        }
        OnnxGraph g = new OnnxGraph("segment" + index);
        int d = config.width();
        int t = config.tokens();
        String h;
        if (index == 0) {
            h = embed(g, g.input("images", BATCH, 28, 28));
        } else {
            String hidden = g.input("hidden", BATCH, t, d);
            String moeOutput = g.input("moe_output", TOKENS, d);
            String residual = g.node("Reshape", moeOutput, g.node("Shape", hidden));
            h = g.node("Add", hidden, residual);
        }
        if (index == config.layers()) {
            String normed = layerNorm(g, h, "norm");
            String cls = g.node("Gather", normed, g.longScalar("cls_index", 0), Attribute.integer("axis", 1));
            String logits = linear(g, cls, "head");
            g.output(logits, "logits", BATCH, config.classes());
            return g;
        }
        h = attentionBlock(g, h, index);
        g.output(h, "hidden_out", BATCH, t, d);
        String moeInput = layerNorm(g, h, "blocks." + index + ".ln2");
        g.output(g.node("Reshape", moeInput, g.longs("moe_input_shape", -1, d)), "moe_input", TOKENS, d);
        return g;
    }

    /** Gate of MoE layer {@code layer}: {@code tokens [n, d] -> logits [n, E]}. */
    public OnnxGraph gate(int layer) {
        OnnxGraph g = new OnnxGraph("gate" + layer);
        String tokens = g.input("tokens", TOKENS, config.width());
        String name = "blocks." + layer + ".gate.weight";
        String logits = g.node("MatMul", tokens, g.weight(name, weights.values(name), weights.shape(name)));
        g.output(logits, "logits", TOKENS, config.experts());
        return g;
    }

    /** Expert {@code expert} of layer {@code layer}: {@code fc2(gelu(fc1(tokens)))}, {@code [n, d] -> [n, d]}. */
    public OnnxGraph expert(int layer, int expert) {
        OnnxGraph g = new OnnxGraph("layer" + layer + "_expert" + expert);
        String prefix = "blocks." + layer + ".experts." + expert;
        String tokens = g.input("tokens", TOKENS, config.width());
        String hidden = gelu(g, linear(g, tokens, prefix + ".fc1"));
        g.output(linear(g, hidden, prefix + ".fc2"), "output", TOKENS, config.width());
        return g;
    }

    private String embed(OnnxGraph g, String images) {
        int d = config.width();
        int grid = config.gridSide();
        String x = g.node("Reshape", images, g.longs("image_shape", -1, 1, 28, 28));
        x = g.node("Sub", x, g.scalar("pixel_mean", VitMoeConfig.PIXEL_MEAN));
        x = g.node("Div", x, g.scalar("pixel_std", VitMoeConfig.PIXEL_STD));
        x = g.node("Conv", new String[] {x, weight(g, "stem.weight"), weight(g, "stem.bias")},
                Attribute.ints("kernel_shape", 3, 3), Attribute.ints("pads", 1, 1, 1, 1));
        x = gelu(g, x);
        int p = config.patch();
        x = g.node("Conv", new String[] {x, weight(g, "patch.weight"), weight(g, "patch.bias")},
                Attribute.ints("kernel_shape", p, p), Attribute.ints("strides", p, p));
        x = g.node("Reshape", x, g.longs("grid_shape", 0, d, (long) grid * grid));
        x = g.node("Transpose", x, Attribute.ints("perm", 0, 2, 1));

        String batch = g.node("Slice", new String[] {g.node("Shape", x), g.longs("zero", 0), g.longs("one", 1)});
        String clsShape = g.node("Concat", new String[] {batch, g.longs("cls_rest", 1, d)},
                Attribute.integer("axis", 0));
        String cls = g.node("Expand", g.node("Reshape", weight(g, "cls"), g.longs("cls_shape", 1, 1, d)), clsShape);
        x = g.node("Concat", new String[] {cls, x}, Attribute.integer("axis", 1));
        return g.node("Add", x, weight(g, "pos"));
    }

    private String attentionBlock(OnnxGraph g, String h, int layer) {
        String b = "blocks." + layer + ".";
        int heads = config.heads();
        int hd = config.headDim();
        String x = layerNorm(g, h, b + "ln1");
        String qkv = linear(g, x, b + "attn.qkv");
        qkv = g.node("Reshape", qkv, g.longs("qkv_shape", 0, 0, 3, heads, hd));
        qkv = g.node("Transpose", qkv, Attribute.ints("perm", 2, 0, 3, 1, 4));
        String q = g.node("Gather", qkv, g.longScalar("q_index", 0), Attribute.integer("axis", 0));
        String k = g.node("Gather", qkv, g.longScalar("k_index", 1), Attribute.integer("axis", 0));
        String v = g.node("Gather", qkv, g.longScalar("v_index", 2), Attribute.integer("axis", 0));
        String kT = g.node("Transpose", k, Attribute.ints("perm", 0, 1, 3, 2));
        String scores = g.node("Mul", g.node("MatMul", q, kT), g.scalar("scale", (float) (1.0 / Math.sqrt(hd))));
        scores = g.node("Softmax", scores, Attribute.integer("axis", -1));
        String context = g.node("Transpose", g.node("MatMul", scores, v), Attribute.ints("perm", 0, 2, 1, 3));
        context = g.node("Reshape", context, g.longs("context_shape", 0, 0, config.width()));
        return g.node("Add", h, linear(g, context, b + "attn.proj"));
    }

    private String linear(OnnxGraph g, String x, String prefix) {
        return g.node("Add", g.node("MatMul", x, weight(g, prefix + ".weight")), weight(g, prefix + ".bias"));
    }

    private String layerNorm(OnnxGraph g, String x, String prefix) {
        return g.node("LayerNormalization", new String[] {x, weight(g, prefix + ".gamma"), weight(g, prefix + ".beta")},
                Attribute.integer("axis", -1), Attribute.real("epsilon", VitMoeConfig.LAYER_NORM_EPS));
    }

    /** Exact GELU as {@code (x * 0.5) * (erf(x / sqrt 2) + 1)}, the order the DJL model uses. */
    private static String gelu(OnnxGraph g, String x) {
        String half = g.node("Mul", x, g.scalar(x + "_half", 0.5f));
        String erf = g.node("Erf", g.node("Div", x, g.scalar(x + "_sqrt2", (float) Math.sqrt(2.0))));
        return g.node("Mul", half, g.node("Add", erf, g.scalar(x + "_one", 1f)));
    }

    private String weight(OnnxGraph g, String name) {
        return g.weight(name, weights.values(name), weights.shape(name));
    }
}
