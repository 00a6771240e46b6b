package dev.moeserve.model.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * Measured top-1 accuracy of the bundle.
 *
 * @param split  data set and split, for example {@code fashion-mnist test}
 * @param images number of images evaluated
 * @param value  fraction classified correctly, between 0 and 1
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"split", "images", "value"})
public record Accuracy(String split, int images, double value) {
}
