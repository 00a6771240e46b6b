package dev.moeserve.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks the parsed JSON tree of a manifest for required fields before it is mapped to records, so
 * that a missing field is reported by its path (for example {@code layers[2].topK}) and not as a
 * default value of 0.
 *
 * <p>Required means present and not null. The optional fields ({@code layers[].pool},
 * {@code layers[].prior}, {@code reducedFrom}, {@code reducedFrom.budget}, {@code architecture}) may be null or
 * absent.
 */
final class RequiredFields {

    private static final List<String> MANIFEST = List.of("format", "name", "version", "task", "labels", "input",
            "tokens", "width", "opset", "trunk", "layers", "weights", "files", "accuracy");
    private static final List<String> INPUT = List.of("name", "datatype", "shape");
    private static final List<String> SEGMENT = List.of("file");
    private static final List<String> LAYER = List.of("index", "width", "experts", "topK", "gate", "expertFiles");
    private static final List<String> FILE = List.of("sha256", "bytes", "parameters");
    private static final List<String> ACCURACY = List.of("split", "images", "value");
    private static final List<String> REDUCED_FROM = List.of("name", "version", "score", "keepRatio");

    private final Path dir;

    private RequiredFields(Path dir) {
        this.dir = dir;
    }

    /** Raises {@link BundleException} naming the first missing or null required field of {@code root}. */
    static void check(Path dir, JsonNode root) {
        new RequiredFields(dir).checkManifest(root);
    }

    private void checkManifest(JsonNode root) {
        if (root == null || root.isMissingNode()) {
            throw new BundleException(dir, Bundle.MANIFEST_FILE + " is empty");
        }
        requireFields(root, "", MANIFEST);
        requireElements(root.get("labels"), "labels");

        JsonNode input = root.get("input");
        requireFields(input, "input", INPUT);
        requireElements(input.get("shape"), "input.shape");

        JsonNode trunk = requireElements(root.get("trunk"), "trunk");
        for (int i = 0; i < trunk.size(); i++) {
            requireFields(trunk.get(i), "trunk[" + i + "]", SEGMENT);
        }

        JsonNode layers = requireElements(root.get("layers"), "layers");
        for (int i = 0; i < layers.size(); i++) {
            checkLayer(layers.get(i), "layers[" + i + "]");
        }

        JsonNode files = requireObject(root.get("files"), "files");
        for (Map.Entry<String, JsonNode> entry : files.properties()) {
            requireFields(entry.getValue(), "files" + ManifestJson.fieldSuffix(false, entry.getKey()), FILE);
        }

        requireFields(root.get("accuracy"), "accuracy", ACCURACY);
        JsonNode reducedFrom = root.get("reducedFrom");
        if (reducedFrom != null && !reducedFrom.isNull()) {
            requireFields(reducedFrom, "reducedFrom", REDUCED_FROM);
        }
    }

    private void checkLayer(JsonNode layer, String path) {
        requireFields(layer, path, LAYER);
        JsonNode expertFiles = requireObject(layer.get("expertFiles"), path + ".expertFiles");
        for (Map.Entry<String, JsonNode> entry : expertFiles.properties()) {
            String key = entry.getKey();
            if (!key.matches("0|[1-9][0-9]{0,8}")) {
                throw fail("%s.expertFiles key \"%s\" must be an expert index: a non-negative integer without leading zeros", path, key);
            }
            if (entry.getValue().isNull()) {
                throw fail("%s.expertFiles[\"%s\"] must not be null", path, key);
            }
        }
        for (String optional : List.of("pool", "prior")) {
            JsonNode list = layer.get(optional);
            if (list != null && !list.isNull()) {
                requireElements(list, path + "." + optional);
            }
        }
    }

    private void requireFields(JsonNode node, String path, List<String> names) {
        requireObject(node, path.isEmpty() ? "the top level of " + Bundle.MANIFEST_FILE : path);
        String prefix = path.isEmpty() ? "" : path + ".";
        for (String name : names) {
            JsonNode value = node.get(name);
            if (value == null) {
                throw fail("%s%s is missing", prefix, name);
            }
            if (value.isNull()) {
                throw fail("%s%s must not be null", prefix, name);
            }
        }
    }

    private JsonNode requireObject(JsonNode node, String path) {
        if (!node.isObject()) {
            throw fail("%s must be a JSON object, got %s", path, kind(node));
        }
        return node;
    }

    /** Requires an array without null elements and returns it. */
    private JsonNode requireElements(JsonNode node, String path) {
        if (!node.isArray()) {
            throw fail("%s must be a JSON array, got %s", path, kind(node));
        }
        for (int i = 0; i < node.size(); i++) {
            if (node.get(i).isNull()) {
                throw fail("%s[%d] must not be null", path, i);
            }
        }
        return node;
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private BundleException fail(String format, Object... args) {
        return new BundleException(dir, String.format(Locale.ROOT, format, args));
    }
}
