package dev.moeserve.model.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Name, element type and shape of a model input, as in the KServe v2 protocol.
 *
 * @param name     tensor name, for example {@code images}
 * @param datatype element type, for example {@code FP32}
 * @param shape    dimensions, with -1 for a dimension of any size (the batch)
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"name", "datatype", "shape"})
public record TensorSpec(String name, String datatype, List<Long> shape) {

    public TensorSpec {
        shape = shape == null ? null : Collections.unmodifiableList(new ArrayList<>(shape));
    }
}
