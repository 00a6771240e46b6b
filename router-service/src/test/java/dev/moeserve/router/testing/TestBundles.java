package dev.moeserve.router.testing;

import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.bundle.BundleWriter;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.model.bundle.ReducedFrom;
import dev.moeserve.model.bundle.TensorSpec;
import dev.moeserve.model.bundle.TrunkSegment;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.model.onnx.OnnxGraph;
import dev.moeserve.model.vit.NamedWeights;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.model.vit.VitMoeGraphs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Small bundles of the reference ViT-MoE with seeded random weights, for protocol tests: 2 MoE layers of
 * 4 experts, top-2, width 16, 50 tokens per image. A reduced bundle written with the same seed contains
 * byte-identical expert files, like a pool cut from the full model. The outputs mean nothing; accuracy
 * tests need the trained bundle.
 */
public final class TestBundles {

    /** 4 stem channels, 4x4 patches, width 16, 2 heads, 2 layers of 4 experts, top-2, hidden 16, 10 classes. */
    public static final VitMoeConfig CONFIG = new VitMoeConfig(4, 4, 16, 2, 2, 4, 2, 16, 10);

    public static final String NAME = "test-vit-moe";
    public static final String VERSION = "1";

    /** Pools of {@link #writeReduced}: experts 0 and 2 in layer 0, 1 and 3 in layer 1. */
    public static final List<List<Integer>> POOLS = List.of(List.of(0, 2), List.of(1, 3));

    /** Priors of {@link #writeReduced}, zero outside the pools. */
    public static final List<List<Double>> PRIORS = List.of(List.of(0.7, 0.0, 0.3, 0.0), List.of(0.0, 0.5, 0.0, 0.5));

    private TestBundles() {
    }

    /** Writes the full bundle into {@code dir} and returns {@code dir}. */
    public static Path writeFull(Path dir, long seed) {
        return write(dir, seed, null, null);
    }

    /** Writes the reduced bundle ({@link #POOLS}, {@link #PRIORS}) into {@code dir} and returns {@code dir}. */
    public static Path writeReduced(Path dir, long seed) {
        return write(dir, seed, POOLS, PRIORS);
    }

    private static Path write(Path dir, long seed, List<List<Integer>> pools, List<List<Double>> priors) {
        try {
            Files.createDirectories(dir);
            VitMoeGraphs graphs = new VitMoeGraphs(CONFIG, new RandomWeights(CONFIG, seed));
            Map<String, Long> parameters = new HashMap<>();
            List<TrunkSegment> trunk = new ArrayList<>();
            for (int i = 0; i <= CONFIG.layers(); i++) {
                String file = "trunk/segment" + i + ".onnx";
                writeGraph(dir, file, graphs.segment(i), parameters);
                trunk.add(new TrunkSegment(file));
            }
            List<MoeLayerSpec> layers = new ArrayList<>();
            for (int l = 0; l < CONFIG.layers(); l++) {
                String gate = "gates/layer" + l + ".onnx";
                writeGraph(dir, gate, graphs.gate(l), parameters);
                List<Integer> pool = pools == null ? null : pools.get(l);
                SortedMap<Integer, String> expertFiles = new TreeMap<>();
                for (int e = 0; e < CONFIG.experts(); e++) {
                    if (pool == null || pool.contains(e)) {
                        String file = "experts/layer" + l + "/expert" + e + ".onnx";
                        writeGraph(dir, file, graphs.expert(l, e), parameters);
                        expertFiles.put(e, file);
                    }
                }
                layers.add(new MoeLayerSpec(l, CONFIG.width(), CONFIG.experts(), CONFIG.topK(), gate, expertFiles,
                        pool, priors == null ? null : priors.get(l)));
            }
            // The router never reads the safetensors file; the format requires one.
            Files.writeString(dir.resolve("weights.safetensors"), "placeholder: random test weights\n");
            ReducedFrom origin = pools == null ? null : new ReducedFrom(NAME, VERSION, "agf", 0.5, null);
            Manifest manifest = new Manifest(Manifest.FORMAT, NAME, VERSION, "image-classification",
                    FashionMnist.LABELS, new TensorSpec("images", "FP32", List.of(-1L, 28L, 28L)), CONFIG.tokens(),
                    CONFIG.width(), OnnxGraph.OPSET, trunk, layers, "weights.safetensors", null,
                    new Accuracy("not measured: random weights", 1, 0.0), origin, null);
            BundleWriter.write(dir, manifest, parameters);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeGraph(Path dir, String file, OnnxGraph graph, Map<String, Long> parameters)
            throws IOException {
        Path path = dir.resolve(file);
        Files.createDirectories(path.getParent());
        Files.write(path, graph.toBytes());
        parameters.put(file, graph.parameterCount());
    }

    /**
     * Parameters with the names and shapes of the reference model, each drawn from its own generator
     * seeded by the bundle seed and the name, so that a parameter is the same in every bundle of a seed.
     */
    private record RandomWeights(VitMoeConfig config, long seed) implements NamedWeights {

        @Override
        public float[] values(String name) {
            long[] shape = shape(name);
            int size = 1;
            for (long dim : shape) {
                size *= (int) dim;
            }
            float[] values = new float[size];
            if (name.endsWith(".gamma")) {
                java.util.Arrays.fill(values, 1f);
                return values;
            }
            Random random = new Random(seed * 31 + name.hashCode());
            float scale = name.endsWith(".bias") || name.endsWith(".beta") ? 0.1f : 0.5f;
            for (int i = 0; i < size; i++) {
                values[i] = (float) random.nextGaussian() * scale;
            }
            return values;
        }

        @Override
        public long[] shape(String name) {
            int d = config.width();
            int h = config.expertHidden();
            String[] parts = name.split("\\.");
            String last = parts[parts.length - 1];
            String owner = parts.length > 1 ? parts[parts.length - 2] : "";
            return switch (name.startsWith("blocks.") ? owner + "." + last : name) {
                case "stem.weight" -> new long[] {config.stemChannels(), 1, 3, 3};
                case "stem.bias" -> new long[] {config.stemChannels()};
                case "patch.weight" -> new long[] {d, config.stemChannels(), config.patch(), config.patch()};
                case "patch.bias", "norm.gamma", "norm.beta" -> new long[] {d};
                case "cls" -> new long[] {d};
                case "pos" -> new long[] {config.tokens(), d};
                case "head.weight" -> new long[] {d, config.classes()};
                case "head.bias" -> new long[] {config.classes()};
                case "ln1.gamma", "ln1.beta", "ln2.gamma", "ln2.beta", "proj.bias", "fc2.bias" -> new long[] {d};
                case "qkv.weight" -> new long[] {d, 3L * d};
                case "qkv.bias" -> new long[] {3L * d};
                case "proj.weight" -> new long[] {d, d};
                case "gate.weight" -> new long[] {d, config.experts()};
                case "fc1.weight" -> new long[] {d, h};
                case "fc1.bias" -> new long[] {h};
                case "fc2.weight" -> new long[] {h, d};
                default -> throw new IllegalArgumentException("no shape for parameter " + name);
            };
        }
    }
}
