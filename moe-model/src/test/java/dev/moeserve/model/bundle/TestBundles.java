package dev.moeserve.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Small fake bundles for tests: 2 MoE layers of 4 experts with top-2 routing, width 8. The files
 * contain arbitrary bytes, not ONNX graphs, because the bundle code never parses them.
 */
public final class TestBundles {

    public static final int LAYERS = 2;
    public static final int EXPERTS = 4;

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestBundles() {
    }

    /** Writes a full bundle (no pools, no prior) into {@code dir} and returns the manifest written. */
    public static Manifest writeFull(Path dir) throws IOException {
        return write(dir, layers(null, null), null);
    }

    /** Writes a bundle whose layer 1 keeps experts 0, 2 and 3 and carries a prior. */
    public static Manifest writeReduced(Path dir) throws IOException {
        List<Integer> pool = List.of(0, 2, 3);
        List<Double> prior = List.of(0.5, 0.0, 0.25, 0.25);
        ReducedFrom origin = new ReducedFrom("tiny-moe", "1", "agf", 0.875, "per-layer");
        return write(dir, layers(pool, prior), origin);
    }

    /** Returns the manifest fields of a valid bundle, with {@code files} unset. */
    public static Manifest manifest(List<MoeLayerSpec> layers, ReducedFrom reducedFrom) {
        List<TrunkSegment> trunk = new ArrayList<>();
        for (int i = 0; i <= layers.size(); i++) {
            trunk.add(new TrunkSegment("trunk/segment" + i + ".onnx"));
        }
        return new Manifest(Manifest.FORMAT, "tiny-moe", "1", "image-classification", List.of("a", "b", "c"),
                new TensorSpec("images", "FP32", List.of(-1L, 28L, 28L)), 50, 8, 17,
                trunk, layers, "weights.safetensors", null,
                new Accuracy("fashion-mnist test", 10000, 0.9012), reducedFrom,
                new java.util.TreeMap<>(java.util.Map.of("heads", 2)));
    }

    /** Returns two layers; layer 1 gets {@code pool} and {@code prior} when they are not null. */
    public static List<MoeLayerSpec> layers(List<Integer> poolOfLayer1, List<Double> priorOfLayer1) {
        List<MoeLayerSpec> layers = new ArrayList<>();
        for (int layer = 0; layer < LAYERS; layer++) {
            List<Integer> pool = layer == 1 ? poolOfLayer1 : null;
            SortedMap<Integer, String> expertFiles = new TreeMap<>();
            for (int expert = 0; expert < EXPERTS; expert++) {
                if (pool == null || pool.contains(expert)) {
                    expertFiles.put(expert, "experts/layer" + layer + "/expert" + expert + ".onnx");
                }
            }
            layers.add(new MoeLayerSpec(layer, 8, EXPERTS, 2, "gates/layer" + layer + ".onnx", expertFiles,
                    pool, layer == 1 ? priorOfLayer1 : null));
        }
        return layers;
    }

    /** Writes every referenced file with distinct content, then the manifest via {@link BundleWriter}. */
    public static Manifest write(Path dir, List<MoeLayerSpec> layers, ReducedFrom reducedFrom) throws IOException {
        Manifest manifest = manifest(layers, reducedFrom);
        Map<String, Long> parameters = new HashMap<>();
        for (ManifestValidator.FileReference reference : ManifestValidator.references(manifest)) {
            writeFakeFile(dir, reference.file());
            long count = reference.file().startsWith("experts/") ? 640 : 100;
            parameters.put(reference.file(), reference.file().equals("weights.safetensors") ? 0L : count);
        }
        return BundleWriter.write(dir, manifest, parameters);
    }

    public static void writeFakeFile(Path dir, String relativePath) throws IOException {
        Path file = dir.resolve(relativePath);
        Files.createDirectories(file.getParent() == null ? dir : file.getParent());
        Files.writeString(file, "fake content of " + relativePath + "\n".repeat(relativePath.length()));
    }

    /** Applies {@code edit} to the JSON tree of {@code manifest.json} and writes it back. */
    public static void editManifest(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path file = dir.resolve(Bundle.MANIFEST_FILE);
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(root);
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    /** Returns {@code layers[index]} of a manifest tree. */
    public static ObjectNode layer(ObjectNode root, int index) {
        return (ObjectNode) root.get("layers").get(index);
    }

    public static JsonNode readTree(Path dir) throws IOException {
        return JSON.readTree(Files.readString(dir.resolve(Bundle.MANIFEST_FILE), StandardCharsets.UTF_8));
    }
}
