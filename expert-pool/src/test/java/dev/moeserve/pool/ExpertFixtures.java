package dev.moeserve.pool;

import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.BundleWriter;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.model.bundle.TensorSpec;
import dev.moeserve.model.bundle.TrunkSegment;
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
 * Test bundles whose expert files are real ONNX graphs of the reference expert shape (width 64, hidden
 * 128) with seeded random weights. Trunk, gate and weight files contain placeholder bytes because the
 * expert pool never opens them.
 */
public final class ExpertFixtures {

    public static final VitMoeConfig CONFIG = VitMoeConfig.reference();
    public static final int WIDTH = CONFIG.width();

    private ExpertFixtures() {
    }

    /** Writes a full bundle of {@code layers} MoE layers with {@code experts} experts each into {@code dir}. */
    public static Bundle writeBundle(Path dir, int layers, int experts) {
        return writeBundle(dir, layers, experts, null);
    }

    /** Writes a bundle whose every layer keeps only {@code pool} (sorted original indices), or all when null. */
    public static Bundle writeBundle(Path dir, int layers, int experts, List<Integer> pool) {
        try {
            VitMoeGraphs graphs = new VitMoeGraphs(CONFIG, new RandomWeights(42));
            Map<String, Long> parameters = new HashMap<>();
            List<MoeLayerSpec> specs = new ArrayList<>();
            for (int layer = 0; layer < layers; layer++) {
                SortedMap<Integer, String> files = new TreeMap<>();
                for (int expert = 0; expert < experts; expert++) {
                    if (pool != null && !pool.contains(expert)) {
                        continue;
                    }
                    String file = "experts/layer" + layer + "/expert" + expert + ".onnx";
                    OnnxGraph graph = graphs.expert(layer, expert);
                    write(dir, file, graph.toBytes());
                    parameters.put(file, graph.parameterCount());
                    files.put(expert, file);
                }
                String gate = "gates/layer" + layer + ".onnx";
                write(dir, gate, ("placeholder gate " + layer).getBytes());
                specs.add(new MoeLayerSpec(layer, WIDTH, experts, 2, gate, files, pool, null));
            }
            List<TrunkSegment> trunk = new ArrayList<>();
            for (int segment = 0; segment <= layers; segment++) {
                String file = "trunk/segment" + segment + ".onnx";
                write(dir, file, ("placeholder segment " + segment).getBytes());
                trunk.add(new TrunkSegment(file));
            }
            write(dir, "weights.safetensors", "placeholder weights".getBytes());
            Manifest manifest = new Manifest(Manifest.FORMAT, "fixture-moe", "1", "image-classification",
                    List.of("a", "b"), new TensorSpec("images", "FP32", List.of(-1L, 28L, 28L)), CONFIG.tokens(),
                    WIDTH, 17, trunk, specs, "weights.safetensors", null,
                    new Accuracy("none", 1, 0.5), null, null);
            BundleWriter.write(dir, manifest, parameters);
            return Bundle.open(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes one expert ONNX file of layer {@code layer} and index {@code expert} and returns its path. */
    public static Path writeExpert(Path dir, int layer, int expert) {
        VitMoeGraphs graphs = new VitMoeGraphs(CONFIG, new RandomWeights(42));
        Path file = dir.resolve("layer" + layer + "_expert" + expert + ".onnx");
        try {
            Files.createDirectories(dir);
            Files.write(file, graphs.expert(layer, expert).toBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Returns {@code tokenCount} tokens of width {@link #WIDTH} drawn from a seeded normal distribution. */
    public static float[] tokens(long seed, int tokenCount) {
        Random random = new Random(seed);
        float[] values = new float[tokenCount * WIDTH];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static void write(Path dir, String relativePath, byte[] content) throws IOException {
        Path file = dir.resolve(relativePath);
        Files.createDirectories(file.getParent());
        Files.write(file, content);
    }

    /** Weights drawn per name from a generator seeded by the name, so every expert differs. */
    private static final class RandomWeights implements NamedWeights {

        private final long seed;

        RandomWeights(long seed) {
            this.seed = seed;
        }

        @Override
        public float[] values(String name) {
            long[] shape = shape(name);
            int size = (int) (shape.length == 1 ? shape[0] : shape[0] * shape[1]);
            Random random = new Random(seed * 31 + name.hashCode());
            float scale = (float) (1.0 / Math.sqrt(shape[0]));
            float[] values = new float[size];
            for (int i = 0; i < size; i++) {
                values[i] = (float) random.nextGaussian() * scale;
            }
            return values;
        }

        @Override
        public long[] shape(String name) {
            int width = CONFIG.width();
            int hidden = CONFIG.expertHidden();
            if (name.endsWith("fc1.weight")) {
                return new long[] {width, hidden};
            }
            if (name.endsWith("fc1.bias")) {
                return new long[] {hidden};
            }
            if (name.endsWith("fc2.weight")) {
                return new long[] {hidden, width};
            }
            if (name.endsWith("fc2.bias")) {
                return new long[] {width};
            }
            throw new IllegalArgumentException("no fixture weight named " + name);
        }
    }
}
