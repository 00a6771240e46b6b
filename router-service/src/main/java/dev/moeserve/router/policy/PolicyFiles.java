package dev.moeserve.router.policy;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Reads policy tables from JSON or YAML. Unknown fields, duplicate keys and trailing content are
 * rejected, so that a misspelt field fails loudly instead of being ignored.
 *
 * <p>Example: {@code {"arms": [{"policy": "agf-prior", "beta": 1.0, "weight": 90},
 * {"policy": "masked", "weight": 10}], "shadow": {"policy": "topk"}, "stickyHeader": "x-user-id"}}.
 */
public final class PolicyFiles {

    private static final ObjectMapper JSON = configure(new ObjectMapper());
    private static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()));

    private PolicyFiles() {
    }

    /** Reads {@code file}: YAML when its name ends in {@code .yaml} or {@code .yml}, JSON otherwise. */
    public static TableSpec read(Path file) {
        return parse(file, readBytes(file));
    }

    /** Reads the bytes of a policies file, naming it in the error. */
    public static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PolicyConfigException("cannot read policies file " + file + ": " + e, e);
        }
    }

    /** Parses {@code content} read from {@code file}, choosing JSON or YAML by the file name like {@link #read}. */
    public static TableSpec parse(Path file, byte[] content) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean yaml = name.endsWith(".yaml") || name.endsWith(".yml");
        return parse(content, yaml ? YAML : JSON, "policies file " + file);
    }

    /** Parses a JSON table, for example an admin request body; {@code source} names it in errors. */
    public static TableSpec parseJson(byte[] content, String source) {
        return parse(content, JSON, source);
    }

    /** Writes {@code spec} as JSON. */
    public static String toJson(TableSpec spec) {
        try {
            return JSON.writeValueAsString(spec);
        } catch (JacksonException e) {
            throw new IllegalStateException("a policy table could not be written as JSON", e);
        }
    }

    private static TableSpec parse(byte[] content, ObjectMapper mapper, String source) {
        TableSpec spec;
        try {
            spec = mapper.readValue(content, TableSpec.class);
        } catch (UnrecognizedPropertyException e) {
            List<JsonMappingException.Reference> parent = e.getPath().subList(0, e.getPath().size() - 1);
            throw new PolicyConfigException(source + ": " + location(parent) + "unknown field '" + e.getPropertyName()
                    + "'; known fields are " + e.getKnownPropertyIds(), e);
        } catch (JsonMappingException e) {
            throw new PolicyConfigException(source + ": " + location(e.getPath()) + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new PolicyConfigException(source + " is not valid: " + e.getMessage(), e);
        }
        if (spec == null) {
            throw new PolicyConfigException(source + " is empty; it must contain a table with \"arms\"");
        }
        return spec;
    }

    /** Formats a JSON path as {@code arms[1].beta: }, or nothing at the root. */
    private static String location(List<JsonMappingException.Reference> references) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : references) {
            if (reference.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "" : path + ": ";
    }

    private static ObjectMapper configure(ObjectMapper mapper) {
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        mapper.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        return mapper;
    }
}
