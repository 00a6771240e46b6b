package dev.moeserve.router.inference;

/** Observes routing decisions, for example to count tokens per expert. Called on pipeline threads. */
@FunctionalInterface
public interface RouteListener {

    RouteListener NONE = (policy, layer, decision) -> { };

    void routed(String policy, int layer, RouteDecision decision);
}
