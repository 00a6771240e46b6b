package dev.moeserve.model.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One trunk segment: the dense part of the model before, between or after the MoE layers.
 *
 * @param file ONNX file, relative to the bundle folder
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TrunkSegment(String file) {
}
