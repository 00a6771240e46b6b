package dev.moeserve.router.inference;

/**
 * Experts and gate weights chosen for the tokens of one MoE layer: token i uses experts
 * {@code experts[i * k + s]} with weights {@code weights[i * k + s]} for s in 0..k-1.
 */
public record RouteDecision(int tokens, int k, int[] experts, float[] weights) {
}
