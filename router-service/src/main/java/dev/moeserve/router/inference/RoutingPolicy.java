package dev.moeserve.router.inference;

/**
 * Chooses, per MoE layer, the experts and gate weights of every token from the learned gate logits.
 * Implementations are immutable and thread-safe.
 */
public interface RoutingPolicy {

    /** Policy name as used in the policies file, metrics and response headers. */
    String name();

    /**
     * Routes {@code tokens} tokens of layer {@code layer}; {@code logits} contains {@code tokens * experts}
     * gate logits, row-major.
     */
    RouteDecision route(int layer, float[] logits, int tokens, int experts, int k);

    /** Whether expert {@code expert} of {@code layer} can ever be chosen: what a backend must hold. */
    boolean mayUse(int layer, int expert);
}
