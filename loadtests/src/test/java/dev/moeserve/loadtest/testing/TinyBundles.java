package dev.moeserve.loadtest.testing;

import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.BundleWriter;
import dev.moeserve.model.bundle.FileEntry;
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
 * A tiny reference-shaped ViT-MoE with seeded random weights, written as a full bundle and as a reduced
 * bundle cut from it: 2 MoE layers of 4 experts, top-2, width 8. Its predictions are meaningless; it
 * exists so that routers, workers and the pipeline run real ONNX graphs in tests within seconds.
 */
public final class TinyBundles {

    /** 2 stem channels, 7x7 patches, width 8, 2 heads, 2 layers of 4 experts, top-2, expert hidden 8, 10 classes. */
    public static final VitMoeConfig CONFIG = new VitMoeConfig(2, 7, 8, 2, 2, 4, 2, 8, 10);

    public static final String NAME = "tiny-vit-moe";
    public static final String VERSION = "1";

    /** Experts kept per layer by the reduced bundle. */
    public static final List<List<Integer>> KEPT = List.of(List.of(1, 3), List.of(0, 2));

    /** Utility prior per layer of the reduced bundle, zero outside {@link #KEPT}. */
    public static final List<List<Double>> PRIORS = List.of(List.of(0.0, 0.6, 0.0, 0.4), List.of(0.5, 0.0, 0.5, 0.0));

    private TinyBundles() {
    }

    /** The folders of a full bundle and the reduced bundle cut from it. */
    public record Pair(Path full, Path reduced) {
    }

    /** Writes both bundles under {@code root} (folders {@code full} and {@code keep50}). */
    public static Pair write(Path root) {
        Path full = writeFull(root.resolve("full"));
        Path reduced = writeReduced(full, root.resolve("keep50"));
        return new Pair(full, reduced);
    }

    /** Writes the full bundle into {@code dir}. */
    public static Path writeFull(Path dir) {
        try {
            VitMoeGraphs graphs = new VitMoeGraphs(CONFIG, new SeededWeights(CONFIG, 7));
            Map<String, Long> parameters = new HashMap<>();
            List<TrunkSegment> trunk = new ArrayList<>();
            for (int i = 0; i <= CONFIG.layers(); i++) {
                trunk.add(new TrunkSegment(save(dir, "trunk/segment" + i + ".onnx", graphs.segment(i), parameters)));
            }
            List<MoeLayerSpec> layers = new ArrayList<>();
            for (int l = 0; l < CONFIG.layers(); l++) {
                String gate = save(dir, "gates/layer" + l + ".onnx", graphs.gate(l), parameters);
                SortedMap<Integer, String> experts = new TreeMap<>();
                for (int e = 0; e < CONFIG.experts(); e++) {
                    experts.put(e, save(dir, "experts/layer" + l + "/expert" + e + ".onnx", graphs.expert(l, e),
                            parameters));
                }
                layers.add(new MoeLayerSpec(l, CONFIG.width(), CONFIG.experts(), CONFIG.topK(), gate, experts, null,
                        null));
            }
            Files.writeString(dir.resolve("weights.safetensors"), "not read by the serving path\n");
            BundleWriter.write(dir, manifest(NAME, trunk, layers, null), parameters);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the trunk, gates and {@link #KEPT} experts of {@code full} into a reduced bundle in {@code dir}. */
    public static Path writeReduced(Path full, Path dir) {
        Manifest source = Bundle.open(full).manifest();
        Map<String, Long> parameters = new HashMap<>();
        try {
            for (TrunkSegment segment : source.trunk()) {
                copy(full, dir, segment.file(), source, parameters);
            }
            List<MoeLayerSpec> layers = new ArrayList<>();
            for (MoeLayerSpec layer : source.layers()) {
                copy(full, dir, layer.gate(), source, parameters);
                SortedMap<Integer, String> keptFiles = new TreeMap<>();
                for (int e : KEPT.get(layer.index())) {
                    String file = layer.expertFiles().get(e);
                    copy(full, dir, file, source, parameters);
                    keptFiles.put(e, file);
                }
                layers.add(new MoeLayerSpec(layer.index(), layer.width(), layer.experts(), layer.topK(), layer.gate(),
                        keptFiles, KEPT.get(layer.index()), PRIORS.get(layer.index())));
            }
            Files.copy(full.resolve(source.weights()), dir.resolve(source.weights()));
            ReducedFrom origin = new ReducedFrom(NAME, VERSION, "agf", 0.5, null);
            BundleWriter.write(dir, manifest(NAME + "-keep50", source.trunk(), layers, origin), parameters);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Manifest manifest(String name, List<TrunkSegment> trunk, List<MoeLayerSpec> layers,
                                     ReducedFrom origin) {
        return new Manifest(Manifest.FORMAT, name, VERSION, "image-classification", FashionMnist.LABELS,
                new TensorSpec("images", "FP32", List.of(-1L, 28L, 28L)), CONFIG.tokens(), CONFIG.width(),
                OnnxGraph.OPSET, trunk, layers, "weights.safetensors", null,
                new Accuracy("none: random weights", 1, 0.0), origin, null);
    }

    private static String save(Path dir, String file, OnnxGraph graph, Map<String, Long> parameters)
            throws IOException {
        Path path = dir.resolve(file);
        Files.createDirectories(path.getParent());
        Files.write(path, graph.toBytes());
        parameters.put(file, graph.parameterCount());
        return file;
    }

    private static void copy(Path from, Path to, String file, Manifest source, Map<String, Long> parameters)
            throws IOException {
        Path target = to.resolve(file);
        Files.createDirectories(target.getParent());
        Files.copy(from.resolve(file), target);
        FileEntry entry = source.files().get(file);
        parameters.put(file, entry == null ? 0 : entry.parameters());
    }

    /** Gaussian weights, each parameter drawn from a generator seeded by the seed and its name. */
    private record SeededWeights(VitMoeConfig config, long seed) implements NamedWeights {

        @Override
        public float[] values(String name) {
            long count = 1;
            for (long dim : shape(name)) {
                count *= dim;
            }
            float[] values = new float[(int) count];
            Random random = new Random(seed ^ name.hashCode());
            boolean unit = name.endsWith(".gamma");
            for (int i = 0; i < values.length; i++) {
                values[i] = unit ? 1f : (float) (random.nextGaussian() * 0.3);
            }
            return values;
        }

        @Override
        public long[] shape(String name) {
            long d = config.width();
            long hidden = config.expertHidden();
            if (name.equals("stem.weight")) {
                return new long[] {config.stemChannels(), 1, 3, 3};
            }
            if (name.equals("stem.bias")) {
                return new long[] {config.stemChannels()};
            }
            if (name.equals("patch.weight")) {
                return new long[] {d, config.stemChannels(), config.patch(), config.patch()};
            }

            if (name.equals("pos")) {
                return new long[] {config.tokens(), d};
            }
            if (name.equals("head.weight")) {
                return new long[] {d, config.classes()};
            }
            if (name.equals("head.bias")) {
                return new long[] {config.classes()};
            }

            if (name.endsWith("attn.qkv.weight")) {
                return new long[] {d, 3 * d};
            }
            if (name.endsWith("attn.qkv.bias")) {
                return new long[] {3 * d};
            }
            if (name.endsWith("attn.proj.weight")) {
                return new long[] {d, d};
            }

            if (name.endsWith("gate.weight")) {
                return new long[] {d, config.experts()};
            }
            if (name.endsWith("fc1.weight")) {
                return new long[] {d, hidden};
            }
            if (name.endsWith("fc1.bias")) {
                return new long[] {hidden};
            }
            if (name.endsWith("fc2.weight")) {
                return new long[] {hidden, d};
            }

            // patch.bias, cls, layer-norm gamma and beta, attn.proj.bias and fc2.bias: one value per channel.
            return new long[] {d};
        }
    }
}
