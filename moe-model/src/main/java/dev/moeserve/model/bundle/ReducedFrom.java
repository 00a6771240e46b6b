package dev.moeserve.model.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * Origin of a reduced bundle: the full bundle it was cut from and how the pool was chosen.
 *
 * @param name      name of the full bundle
 * @param version   version of the full bundle
 * @param score     name of the utility score that ranked the experts
 * @param keepRatio fraction of the experts kept, greater than 0 and at most 1
 * @param budget    how the kept count was spread over layers: {@code per-layer} (the same count in every
 *                  layer) or {@code global} (one ranking over all layers), or null when not recorded
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"name", "version", "score", "keepRatio", "budget"})
public record ReducedFrom(String name, String version, String score, double keepRatio, String budget) {
}
