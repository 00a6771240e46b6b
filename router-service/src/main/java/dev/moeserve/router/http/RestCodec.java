package dev.moeserve.router.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moeserve.router.inference.InferenceResult;
import dev.moeserve.router.serving.ImageInput;
import dev.moeserve.router.serving.InferenceService.InferCall;
import dev.moeserve.router.serving.InferenceService.Served;
import dev.moeserve.router.serving.InvalidRequestException;
import dev.moeserve.router.serving.OutputKind;
import dev.moeserve.router.serving.OutputTensors;
import dev.moeserve.router.serving.ServingModel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Set;

/**
 * JSON bodies of the KServe v2 REST protocol: the inference request in, the inference response out.
 * Request {@code data} may be flat or nested in any way; only the count and the values are checked
 * against the shape.
 */
final class RestCodec {

    static final JsonFactory FACTORY = new JsonFactory();

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private RestCodec() {
    }

    /**
     * Parses and validates an inference request body.
     *
     * @throws InvalidRequestException naming the field, the rule and the value received
     */
    static InferCall decode(byte[] body, String inputName, int maxBatch) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            // A violated stream constraint (such as nesting deeper than Jackson allows) has no location.
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new InvalidRequestException("request body is not valid JSON: " + e.getOriginalMessage() + where);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || root.isMissingNode()) {
            throw new InvalidRequestException("request body must be a JSON object, got an empty body");
        }
        if (!root.isObject()) {
            throw new InvalidRequestException("request body must be a JSON object, got " + root.getNodeType());
        }
        String id = optionalString(root, "id");
        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.size() != 1) {
            throw new InvalidRequestException("inputs must be an array with exactly one tensor ('" + inputName
                    + "'), got " + describeCount(inputs));
        }
        ImageInput images = input(inputs.get(0), "inputs[0]", inputName, maxBatch);
        return new InferCall(images.finish(), id, outputs(root.get("outputs")));
    }

    private static ImageInput input(JsonNode tensor, String field, String inputName, int maxBatch) {
        if (!tensor.isObject()) {
            throw new InvalidRequestException(field + " must be an object, got " + tensor.getNodeType());
        }
        String name = requiredString(tensor, field + ".name");
        String datatype = requiredString(tensor, field + ".datatype");
        long[] shape = shape(tensor.get("shape"), field + ".shape");
        JsonNode parameters = tensor.get("parameters");
        if (parameters != null && parameters.has("binary_data_size")) {
            throw new InvalidRequestException(field + ".parameters.binary_data_size: the binary data extension is "
                    + "not supported; send the values in data, or use gRPC with raw_input_contents");
        }
        ImageInput images = ImageInput.begin(field, name, datatype, shape, inputName, maxBatch);
        JsonNode data = tensor.get("data");
        if (data == null || !(data.isArray() || data.isNumber())) {
            throw new InvalidRequestException(images.field() + ": data must be an array of numbers, got "
                    + (data == null ? "none" : data.getNodeType()));
        }
        addValues(data, images);
        return images;
    }

    /** Adds the numbers of {@code data} in row-major order, without recursion, so deep nesting cannot overflow. */
    private static void addValues(JsonNode data, ImageInput images) {
        Deque<Iterator<JsonNode>> stack = new ArrayDeque<>();
        if (data.isNumber()) {
            addNumber(data, images, 0);
            return;
        }
        stack.push(data.elements());
        int index = 0;
        while (!stack.isEmpty()) {
            Iterator<JsonNode> level = stack.peek();
            if (!level.hasNext()) {
                stack.pop();
                continue;
            }
            JsonNode value = level.next();
            if (value.isArray()) {
                stack.push(value.elements());
                continue;
            }
            if (index >= images.expectedCount()) {
                throw images.tooMany();
            }
            addNumber(value, images, index);
            index++;
        }
    }

    private static void addNumber(JsonNode value, ImageInput images, int index) {
        if (!value.isNumber()) {
            throw new InvalidRequestException(images.field() + ": data values must be numbers, got "
                    + value.getNodeType() + " at index " + index);
        }
        images.add(value.doubleValue());
    }

    private static long[] shape(JsonNode node, String field) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw new InvalidRequestException(field + " must be a non-empty array of integers, got "
                    + (node == null ? "none" : node.toString()));
        }
        long[] shape = new long[node.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode dim = node.get(i);
            if (!dim.isIntegralNumber() || !dim.canConvertToLong()) {
                throw new InvalidRequestException(field + " must be an array of integers, got " + node);
            }
            shape[i] = dim.longValue();
        }
        return shape;
    }

    private static Set<OutputKind> outputs(JsonNode node) {
        if (node == null || node.isNull() || (node.isArray() && node.isEmpty())) {
            return OutputKind.DEFAULT;
        }
        if (!node.isArray()) {
            throw new InvalidRequestException("outputs must be an array of {\"name\": ...} objects, got "
                    + node.getNodeType());
        }
        Set<OutputKind> outputs = EnumSet.noneOf(OutputKind.class);
        for (int i = 0; i < node.size(); i++) {
            JsonNode output = node.get(i);
            String field = "outputs[" + i + "].name";
            if (!output.isObject()) {
                throw new InvalidRequestException("outputs[" + i + "] must be an object, got " + output.getNodeType());
            }
            outputs.add(OutputKind.byName(requiredString(output, field), field));
        }
        return outputs;
    }

    /** Writes the inference response for {@code served}. */
    static byte[] encode(Served served, ServingModel model) {
        InferenceResult result = served.result();
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + result.batch() * 160);
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("model_name", model.name());
            json.writeStringField("model_version", model.version());
            if (served.call().requestId() != null) {
                json.writeStringField("id", served.call().requestId());
            }
            json.writeObjectFieldStart("parameters");
            json.writeStringField("policy", served.policy());
            json.writeNumberField("policy_table_version", served.tableVersion());
            json.writeNumberField("escalated", result.escalated());
            json.writeEndObject();
            json.writeArrayFieldStart("outputs");
            Set<OutputKind> outputs = served.call().outputs();
            if (outputs.contains(OutputKind.PROBABILITIES)) {
                tensorStart(json, OutputKind.PROBABILITIES, "FP32", OutputTensors.probabilitiesShape(result));
                json.writeStartArray();
                for (float p : result.probabilities()) {
                    json.writeNumber(p);
                }
                json.writeEndArray();
                json.writeEndObject();
            }
            if (outputs.contains(OutputKind.LABEL)) {
                long[] labels = OutputTensors.labels(result);
                tensorStart(json, OutputKind.LABEL, "INT64", new long[] {result.batch()});
                json.writeArray(labels, 0, labels.length);
                json.writeEndObject();
            }
            if (outputs.contains(OutputKind.ROUTED_EXPERTS)) {
                int[] experts = OutputTensors.routedExperts(result, model);
                tensorStart(json, OutputKind.ROUTED_EXPERTS, "INT32", OutputTensors.routedExpertsShape(result, model));
                json.writeArray(experts, 0, experts.length);
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing the inference response failed", e);
        }
        return out.toByteArray();
    }

    private static void tensorStart(JsonGenerator json, OutputKind kind, String datatype, long[] shape)
            throws IOException {
        json.writeStartObject();
        json.writeStringField("name", kind.tensorName());
        json.writeStringField("datatype", datatype);
        json.writeFieldName("shape");
        json.writeArray(shape, 0, shape.length);
        json.writeFieldName("data");
    }

    private static String optionalString(JsonNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new InvalidRequestException(field + " must be a string, got " + value.getNodeType());
        }
        return value.textValue();
    }

    private static String requiredString(JsonNode object, String field) {
        String name = field.substring(field.lastIndexOf('.') + 1);
        JsonNode value = object.get(name);
        if (value == null || !value.isTextual()) {
            throw new InvalidRequestException(field + " must be a string, got "
                    + (value == null ? "none" : value.getNodeType()));
        }
        return value.textValue();
    }

    private static String describeCount(JsonNode inputs) {
        if (inputs == null) {
            return "none";
        }
        return inputs.isArray() ? inputs.size() + " tensors" : inputs.getNodeType().toString();
    }
}
