package dev.moeserve.model.bundle;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * One MoE layer of a bundle: its gate and the files of the experts it keeps.
 *
 * <p>Expert indices are always the original indices of the full model, so the gate emits
 * {@code experts} logits even when the pool keeps fewer experts.
 *
 * @param index       position of the layer, 0 for the first MoE layer
 * @param width       model width d, the size of each token vector
 * @param experts     original expert count E of the layer
 * @param topK        experts each token is routed to
 * @param gate        ONNX file of the gate, relative to the bundle folder
 * @param expertFiles ONNX file of each kept expert, by original expert index
 * @param pool        kept expert indices in ascending order, or null when the layer keeps all experts
 * @param prior       E non-negative utilities for the {@code agf-prior} routing policy (0 outside the
 *                    pool), or null
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"index", "width", "experts", "topK", "gate", "expertFiles", "pool", "prior"})
public record MoeLayerSpec(int index, int width, int experts, int topK, String gate,
                           SortedMap<Integer, String> expertFiles, List<Integer> pool, List<Double> prior) {

    public MoeLayerSpec {
        expertFiles = expertFiles == null ? null : Collections.unmodifiableSortedMap(new TreeMap<>(expertFiles));
        pool = pool == null ? null : Collections.unmodifiableList(new ArrayList<>(pool));
        prior = prior == null ? null : Collections.unmodifiableList(new ArrayList<>(prior));
    }

    /** Returns the kept expert indices: the pool, or 0 to {@code experts - 1} when the pool is null. */
    public List<Integer> keptExperts() {
        if (pool != null) {
            return pool;
        }
        return IntStream.range(0, experts).boxed().toList();
    }

    /** Returns whether this layer keeps {@code expert}. */
    public boolean keeps(int expert) {
        if (pool != null) {
            return pool.contains(expert);
        }
        return expert >= 0 && expert < experts;
    }

    /** Returns whether the layer has a pool, that is, keeps a chosen subset of its experts. */
    @JsonIgnore
    public boolean isReduced() {
        return pool != null;
    }

    /** Returns whether the layer carries a prior for the {@code agf-prior} routing policy. */
    public boolean hasPrior() {
        return prior != null;
    }

    /** Returns a new array with the prior, or null when the layer has none. */
    public double[] priorArray() {
        if (prior == null) {
            return null;
        }
        return prior.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
