package dev.moeserve.model.bundle;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** Reads and writes {@code manifest.json} with Jackson and turns Jackson errors into {@link BundleException}. */
final class ManifestJson {

    /**
     * Strict mapper: rejects unknown fields, duplicate keys, trailing content, strings where numbers
     * belong, numbers or booleans where strings belong and fractions where integers belong.
     */
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, config -> config
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private static final Pattern COERCION_HINT = Pattern.compile(" \\(but (could|might) if coercion .*\\)$");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private ManifestJson() {
    }

    /** Parses and maps {@code manifest.json} of {@code dir}, checking that required fields are present. */
    static Manifest read(Path dir) {
        Path file = dir.resolve(Bundle.MANIFEST_FILE);
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BundleException(dir, Bundle.MANIFEST_FILE + " not found at " + file);
        } catch (IOException e) {
            throw new BundleException(dir, "cannot read " + file + ": " + e, e);
        }

        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new BundleException(dir, Bundle.MANIFEST_FILE + " is not valid JSON "
                    + describeLocation(e.getLocation()) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new BundleException(dir, "cannot parse " + file + ": " + e, e);
        }
        RequiredFields.check(dir, tree);

        // Map the bytes, not the tree, so that Jackson's errors carry line and column.
        try {
            return MAPPER.readValue(json, Manifest.class);
        } catch (UnrecognizedPropertyException e) {
            throw new BundleException(dir, Bundle.MANIFEST_FILE + ": " + describePath(e.getPath())
                    + " is not a field of " + Manifest.FORMAT + " " + describeLocation(e.getLocation()), e);
        } catch (JsonMappingException e) {
            throw new BundleException(dir, Bundle.MANIFEST_FILE + ": " + describePath(e.getPath())
                    + " is invalid " + describeLocation(e.getLocation()) + ": " + withoutCoercionHint(e), e);
        } catch (JsonProcessingException e) {
            throw new BundleException(dir, Bundle.MANIFEST_FILE + " has an invalid value "
                    + describeLocation(e.getLocation()) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new BundleException(dir, "cannot parse " + file + ": " + e, e);
        }
    }

    /** Serializes a manifest as pretty-printed JSON with a final newline. */
    static byte[] write(Manifest manifest) {
        try {
            return (MAPPER.writeValueAsString(manifest) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            // Records of strings, numbers, lists and maps always serialize.
            throw new IllegalStateException("cannot serialize manifest of " + manifest.name(), e);
        }
    }

    /** Formats a Jackson path as {@code layers[2].topK}, quoting keys that are not identifiers. */
    static String describePath(List<JsonMappingException.Reference> path) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference reference : path) {
            String field = reference.getFieldName();
            if (field == null) {
                out.append('[').append(reference.getIndex()).append(']');
            } else {
                out.append(fieldSuffix(out.length() == 0, field));
            }
        }
        return out.length() == 0 ? "(top level)" : out.toString();
    }

    /** Returns {@code .name}, or {@code ["name"]} when {@code name} is not an identifier. */
    static String fieldSuffix(boolean first, String name) {
        if (IDENTIFIER.matcher(name).matches()) {
            return first ? name : "." + name;
        }
        return "[\"" + name + "\"]";
    }

    /** Drops Jackson's hint about enabling coercion, which is about the mapper and not about the manifest. */
    private static String withoutCoercionHint(JsonProcessingException e) {
        return COERCION_HINT.matcher(e.getOriginalMessage()).replaceFirst("");
    }

    private static String describeLocation(JsonLocation location) {
        if (location == null || location.getLineNr() < 0) {
            return "(location unknown)";
        }
        return "(line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }
}
