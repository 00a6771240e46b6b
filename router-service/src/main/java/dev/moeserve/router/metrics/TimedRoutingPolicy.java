package dev.moeserve.router.metrics;

import dev.moeserve.router.inference.RouteDecision;
import dev.moeserve.router.inference.RoutingPolicy;

/** A routing policy whose {@code route} calls are recorded as {@code moe.routing.duration}. */
record TimedRoutingPolicy(RoutingPolicy delegate, RouterMetrics metrics) implements RoutingPolicy {

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public RouteDecision route(int layer, float[] logits, int tokens, int experts, int k) {
        long start = System.nanoTime();
        try {
            return delegate.route(layer, logits, tokens, experts, k);
        } finally {
            metrics.recordRouting(delegate.name(), layer, System.nanoTime() - start);
        }
    }

    @Override
    public boolean mayUse(int layer, int expert) {
        return delegate.mayUse(layer, expert);
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
