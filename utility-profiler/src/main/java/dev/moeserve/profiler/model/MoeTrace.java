package dev.moeserve.profiler.model;

import ai.djl.ndarray.NDArray;

/**
 * Record of one MoE layer's computation in a forward pass.
 *
 * @param layer MoE layer index
 * @param tokens layer input {@code u [N, d]}
 * @param logits learned gate logits {@code [N, E]}
 * @param topIndex chosen experts per token {@code [N, k]} (int64)
 * @param weights gate weights of the chosen experts {@code [N, k]}, summing to 1 per token
 * @param slotOutputs expert outputs per token and slot {@code [N, k, d]}, before weighting
 * @param counts tokens routed to each expert
 * @param output combined layer output {@code y [N, d]}
 * @param attended residual stream of the block after attention, before the MoE output is added
 *                 {@code [B, T, d]}
 * @param residual residual stream after the MoE output is added {@code [B, T, d]}
 */
public record MoeTrace(int layer, NDArray tokens, NDArray logits, NDArray topIndex, NDArray weights,
                       NDArray slotOutputs, long[] counts, NDArray output, NDArray attended,
                       NDArray residual) {

    MoeTrace withResidual(NDArray stream) {
        return new MoeTrace(layer, tokens, logits, topIndex, weights, slotOutputs, counts, output, attended, stream);
    }
}
