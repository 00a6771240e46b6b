package dev.moeserve.profiler.bundle;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.bundle.Bundle;
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
import dev.moeserve.profiler.model.VitMoe;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Writes a DJL {@link VitMoe} as a bundle: weights as safetensors, the trunk, gates and experts as ONNX
 * graphs, and the manifest with checksums. A reduced bundle writes only the kept experts' files.
 */
public final class BundleExporter {

    /** Model name of the reference bundle. */
    public static final String MODEL_NAME = "fashion-vit-moe";

    private static final ObjectMapper MANIFEST_READER = new ObjectMapper();

    private BundleExporter() {
    }

    /** Manifest fields besides the model itself: name, version, accuracy, pools, priors and origin. */
    public record Options(String name, String version, Accuracy accuracy, List<List<Integer>> pools,
                          List<double[]> priors, ReducedFrom reducedFrom) {
    }

    /** Kind of an existing folder, which decides whether a new bundle may replace it. */
    public enum Existing {
        /** Nothing there yet. */
        NOTHING,
        /** An empty folder. */
        EMPTY,
        /** A folder whose {@code manifest.json} is a bundle manifest of a full model. */
        FULL_BUNDLE,
        /** A folder whose {@code manifest.json} is a bundle manifest of a reduced pool. */
        REDUCED_BUNDLE
    }

    /**
     * Returns what {@code dir} is, after checking that a bundle may be written there.
     *
     * @throws IOException naming the path and the reason when {@code dir} is a symbolic link, a file, or a
     *                     folder that is neither empty nor a bundle (its {@code manifest.json} missing or
     *                     not a {@value Manifest#FORMAT} manifest)
     */
    public static Existing checkReplaceable(Path dir) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.isSymbolicLink(target)) {
            throw new IOException("refusing to replace " + target + ": it is a symbolic link; give the folder"
                    + " it points to, " + target.toRealPath());
        }
        if (!Files.exists(target)) {
            return Existing.NOTHING;
        }
        if (!Files.isDirectory(target)) {
            throw new IOException("refusing to replace " + target + ": it is a file, not a bundle folder;"
                    + " choose another folder");
        }
        try (Stream<Path> entries = Files.list(target)) {
            if (entries.findAny().isEmpty()) {
                return Existing.EMPTY;
            }
        }
        Path manifest = target.resolve(Bundle.MANIFEST_FILE);
        JsonNode root = null;
        if (Files.isRegularFile(manifest)) {
            try {
                root = MANIFEST_READER.readTree(manifest.toFile());
            } catch (IOException e) {
                root = null;
            }
        }
        if (root == null || !root.isObject() || !Manifest.FORMAT.equals(root.path("format").asText(null))) {
            throw new IOException("refusing to replace " + target + ": it is neither empty nor a bundle (no "
                    + Bundle.MANIFEST_FILE + " with format " + Manifest.FORMAT + "); choose another folder");
        }
        JsonNode origin = root.get("reducedFrom");
        return origin == null || origin.isNull() ? Existing.FULL_BUNDLE : Existing.REDUCED_BUNDLE;
    }

    /**
     * Writes the bundle to {@code dir} and returns the manifest written. The bundle is written into a new
     * sibling folder first and then replaces {@code dir}, so that no file of an earlier bundle there (an
     * expert the new pool drops) is left behind. An existing {@code dir} must pass
     * {@link #checkReplaceable}. A run killed while writing leaves a {@code <dir>.writing-*} folder
     * beside it, which is safe to delete.
     */
    public static Manifest export(VitMoe model, Path dir, Options options) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        Existing existing = checkReplaceable(target);
        Path parent = Files.createDirectories(target.getParent());
        Path staging = Files.createTempDirectory(parent, target.getFileName() + ".writing-");
        Manifest manifest;
        try {
            manifest = write(model, staging, options);
        } catch (IOException | RuntimeException e) {
            deleteRecursively(staging);
            throw e;
        }
        if (existing == Existing.NOTHING) {
            Files.move(staging, target);
            return manifest;
        }
        Path old = Files.createTempDirectory(parent, target.getFileName() + ".replaced-");
        Files.delete(old);
        Files.move(target, old);
        Files.move(staging, target);
        deleteRecursively(old);
        return manifest;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static Manifest write(VitMoe model, Path dir, Options options) throws IOException {
        VitMoeConfig c = model.config();
        Files.createDirectories(dir);
        Map<String, Long> parameters = new HashMap<>();

        String weightsFile = "weights.safetensors";
        writeSafetensors(model, options.pools(), dir.resolve(weightsFile));
        parameters.put(weightsFile, countParameters(model, options.pools()));

        VitMoeGraphs graphs = new VitMoeGraphs(c, new DjlWeights(model));
        List<TrunkSegment> trunk = new ArrayList<>();
        for (int i = 0; i <= c.layers(); i++) {
            String file = "trunk/segment" + i + ".onnx";
            write(dir, file, graphs.segment(i), parameters);
            trunk.add(new TrunkSegment(file));
        }

        List<MoeLayerSpec> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String gate = "gates/layer" + l + ".onnx";
            write(dir, gate, graphs.gate(l), parameters);
            List<Integer> pool = options.pools() == null ? null : options.pools().get(l);
            SortedMap<Integer, String> expertFiles = new TreeMap<>();
            for (int e = 0; e < c.experts(); e++) {
                if (pool != null && !pool.contains(e)) {
                    continue;
                }
                String file = "experts/layer" + l + "/expert" + e + ".onnx";
                write(dir, file, graphs.expert(l, e), parameters);
                expertFiles.put(e, file);
            }
            List<Double> prior = null;
            if (options.priors() != null && options.priors().get(l) != null) {
                prior = new ArrayList<>();
                for (double p : options.priors().get(l)) {
                    prior.add(p);
                }
            }
            layers.add(new MoeLayerSpec(l, c.width(), c.experts(), c.topK(), gate, expertFiles, pool, prior));
        }

        Manifest manifest = new Manifest(Manifest.FORMAT, options.name(), options.version(), "image-classification",
                FashionMnist.LABELS, new TensorSpec("images", "FP32", List.of(-1L, 28L, 28L)), c.tokens(), c.width(),
                OnnxGraph.OPSET, trunk, layers, weightsFile, null, options.accuracy(), options.reducedFrom(),
                architecture(c));
        return BundleWriter.write(dir, manifest, parameters);
    }

    /** Returns the hyperparameters that {@link BundleModels} needs besides the manifest's own fields. */
    static SortedMap<String, Integer> architecture(VitMoeConfig c) {
        SortedMap<String, Integer> a = new TreeMap<>();
        a.put("heads", c.heads());
        a.put("patch", c.patch());
        a.put("stemChannels", c.stemChannels());
        a.put("expertHidden", c.expertHidden());
        a.put("classes", c.classes());
        return a;
    }

    private static void write(Path dir, String file, OnnxGraph graph, Map<String, Long> parameters)
            throws IOException {
        Path path = dir.resolve(file);
        Files.createDirectories(path.getParent());
        Files.write(path, graph.toBytes());
        parameters.put(file, graph.parameterCount());
    }

    private static void writeSafetensors(VitMoe model, List<List<Integer>> pools, Path file) throws IOException {
        NDList list = new NDList();
        for (Map.Entry<String, NDArray> p : kept(model, pools).entrySet()) {
            p.getValue().setName(p.getKey());
            list.add(p.getValue());
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            list.encode(out, NDList.Encoding.SAFETENSORS);
        }
    }

    private static long countParameters(VitMoe model, List<List<Integer>> pools) {
        long count = 0;
        for (NDArray p : kept(model, pools).values()) {
            count += p.size();
        }
        return count;
    }

    /** Parameters without the experts outside the pools. */
    private static Map<String, NDArray> kept(VitMoe model, List<List<Integer>> pools) {
        Map<String, NDArray> kept = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
            if (pools == null || keepsParameter(p.getKey(), pools)) {
                kept.put(p.getKey(), p.getValue());
            }
        }
        return kept;
    }

    private static boolean keepsParameter(String name, List<List<Integer>> pools) {
        String[] parts = name.split("\\.");
        if (parts.length < 4 || !parts[0].equals("blocks") || !parts[2].equals("experts")) {
            return true;
        }
        return pools.get(Integer.parseInt(parts[1])).contains(Integer.parseInt(parts[3]));
    }

    /** {@link NamedWeights} over DJL arrays. */
    private record DjlWeights(VitMoe model) implements NamedWeights {

        @Override
        public float[] values(String name) {
            return model.parameter(name).toFloatArray();
        }

        @Override
        public long[] shape(String name) {
            return model.parameter(name).getShape().getShape();
        }
    }
}
