package dev.moeserve.router.metrics;

import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.router.inference.RouteDecision;
import dev.moeserve.router.inference.RouteListener;
import dev.moeserve.router.inference.RoutingPolicy;
import dev.moeserve.router.policy.PolicyTable;
import dev.moeserve.router.policy.ServingPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The router's own meters. Tag values are bounded: model name, layer and expert index, policy name,
 * protocol ({@code http} or {@code grpc}) and status (a gRPC status name in lower case). Policy names
 * come from the policy tables installed, which only the operator controls.
 *
 * <p>Meters, as named in code (the Prometheus registry writes dots as underscores and adds
 * {@code _total} to counters and {@code _seconds} to timers):
 * <ul>
 *   <li>{@code moe.expert.tokens}: tokens routed per expert (model, layer, expert, policy)</li>
 *   <li>{@code moe.layer.balancedness}: mean over max tokens per expert of the policy's pool over the
 *       last {@value #WINDOW_SECONDS} s (model, layer, policy)</li>
 *   <li>{@code moe.requests}: requests by outcome (model, policy, protocol, status); policy is
 *       {@code none} for requests rejected before a policy was chosen</li>
 *   <li>{@code moe.request.duration}: latency of successful requests with a percentile histogram
 *       (model, policy, protocol)</li>
 *   <li>{@code moe.images}: images served (model, policy)</li>
 *   <li>{@code moe.routing.duration}: time a policy takes to route one layer of a batch (model, policy,
 *       layer)</li>
 *   <li>{@code moe.dispatch.errors}: failed requests by exception type (model, policy, type)</li>
 *   <li>{@code moe.cascade.escalations}: images a cascade served again with the full pool (model,
 *       policy)</li>
 *   <li>{@code moe.shadow.images}: images the shadow policy also served, by whether its label agreed
 *       with the served one (model, policy, shadow, agreement)</li>
 *   <li>{@code moe.shadow.skipped} and {@code moe.shadow.failures}: shadow runs not started because the
 *       shadow limit was reached, and shadow runs that failed (model, shadow, reason)</li>
 *   <li>{@code moe.pool.size}: experts per layer that each policy of the table in force chooses from
 *       (model, layer, policy); {@code moe.backend.experts}: experts per layer the backend holds</li>
 *   <li>{@code moe.requests.active}: requests admitted and not finished (model)</li>
 *   <li>{@code moe.policy.table.version} and {@code moe.policy.swaps}: the table in force and table
 *       replacements by source ({@code startup}, {@code admin}, {@code file}) and outcome</li>
 * </ul>
 */
public final class RouterMetrics {

    /** Length of the window behind {@code moe.layer.balancedness}, in seconds. */
    public static final int WINDOW_SECONDS = 60;

    private static final int WINDOW_SLICES = 6;

    private final MeterRegistry registry;
    private final Manifest manifest;
    private final String model;
    private final LongSupplier nanoClock;
    private final Map<String, PolicyMeters> byPolicy = new ConcurrentHashMap<>();
    private final Map<String, int[]> poolSizes = new ConcurrentHashMap<>();
    private final MultiGauge poolSizeGauge;
    private final AtomicLong tableVersion = new AtomicLong();

    public RouterMetrics(MeterRegistry registry, Manifest manifest, LongSupplier nanoClock) {
        this.registry = registry;
        this.manifest = manifest;
        this.model = manifest.name();
        this.nanoClock = nanoClock;
        this.poolSizeGauge = MultiGauge.builder("moe.pool.size")
                .description("Experts per layer that a policy of the table in force chooses from")
                .register(registry);
        Gauge.builder("moe.policy.table.version", tableVersion, AtomicLong::get)
                .description("Version of the policy table in force")
                .tag("model", model)
                .register(registry);
    }

    /** Registers {@code moe.backend.experts}, read from {@code backendExperts} at every scrape. */
    public void backendExperts(Supplier<Set<ExpertId>> backendExperts) {
        for (int l = 0; l < manifest.layers().size(); l++) {
            int layer = l;
            Gauge.builder("moe.backend.experts",
                            () -> backendExperts.get().stream().filter(id -> id.layer() == layer).count())
                    .description("Experts of a layer that the expert backend holds")
                    .tags("model", model, "layer", Integer.toString(l))
                    .register(registry);
        }
    }

    /** Registers {@code moe.backend.experts.unavailable}, read from {@code unavailable} at every scrape. */
    public void unavailableExperts(IntSupplier unavailable) {
        Gauge.builder("moe.backend.experts.unavailable", unavailable::getAsInt)
                .description("Experts the backend held at start that no healthy worker serves now")
                .tag("model", model)
                .register(registry);
    }

    /** Registers {@code moe.requests.active}, read from {@code active}. */
    public void activeRequests(IntSupplier active) {
        Gauge.builder("moe.requests.active", active::getAsInt)
                .description("Inference requests admitted and not finished")
                .tag("model", model)
                .register(registry);
    }

    /** Counts tokens per expert and feeds the balancedness windows; called on pipeline threads. */
    public RouteListener routeListener() {
        return this::routed;
    }

    /** Wraps {@code policy} so that each call of {@code route} is timed as {@code moe.routing.duration}. */
    public RoutingPolicy timed(RoutingPolicy policy) {
        return new TimedRoutingPolicy(policy, this);
    }

    /** Records a table now in force: pool sizes per policy and the version. */
    public void tableInstalled(PolicyTable.Snapshot table) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        List<ServingPolicy> policies = new ArrayList<>();
        table.arms().forEach(arm -> policies.add(arm.policy()));
        if (table.shadow() != null) {
            policies.add(table.shadow());
        }
        for (ServingPolicy policy : policies) {
            int[] sizes = new int[manifest.layers().size()];
            for (int l = 0; l < sizes.length; l++) {
                sizes[l] = policy.poolSize(l);
                rows.add(MultiGauge.Row.of(Tags.of("model", model, "layer", Integer.toString(l),
                        "policy", policy.name()), sizes[l]));
            }
            poolSizes.put(policy.name(), sizes);
        }
        poolSizeGauge.register(rows, true);
        tableVersion.set(table.version());
    }

    /** Counts one table replacement; {@code source} is {@code startup}, {@code admin} or {@code file}. */
    public void tableSwap(String source, boolean accepted) {
        Counter.builder("moe.policy.swaps")
                .description("Policy table replacements")
                .tags("model", model, "source", source, "outcome", accepted ? "accepted" : "rejected")
                .register(registry)
                .increment();
    }

    /**
     * Records a finished inference request.
     *
     * @param policy   the arm's name, or {@code none} when the request failed before one was chosen
     * @param status   {@code ok} or the gRPC status name in lower case
     * @param images   images in the request, 0 when unknown
     */
    public void requestFinished(String policy, String protocol, String status, long nanos, int images) {
        Counter.builder("moe.requests")
                .description("Inference requests by outcome")
                .tags("model", model, "policy", policy, "protocol", protocol, "status", status)
                .register(registry)
                .increment();
        if (!"ok".equals(status)) {
            return;
        }
        Timer.builder("moe.request.duration")
                .description("Latency of successful inference requests, from admission to the encoded response")
                .tags("model", model, "policy", policy, "protocol", protocol)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
        Counter.builder("moe.images")
                .description("Images served")
                .tags("model", model, "policy", policy)
                .register(registry)
                .increment(images);
    }

    /** Counts a request that failed after its policy was chosen, by exception type. */
    public void dispatchError(String policy, Throwable cause) {
        Counter.builder("moe.dispatch.errors")
                .description("Inference requests that failed after routing started, by exception type")
                .tags("model", model, "policy", policy, "type", cause.getClass().getSimpleName())
                .register(registry)
                .increment();
    }

    /** Counts images a cascade served again with the full pool. */
    public void escalations(String policy, int images) {
        Counter.builder("moe.cascade.escalations")
                .description("Images a cascade served again with the full pool")
                .tags("model", model, "policy", policy)
                .register(registry)
                .increment(images);
    }

    /** Counts shadow comparisons: images whose labels agreed and disagreed with the served result. */
    public void shadowCompared(String policy, String shadow, int agreed, int disagreed) {
        shadowImages(policy, shadow, "agree").increment(agreed);
        shadowImages(policy, shadow, "disagree").increment(disagreed);
    }

    /** Counts a shadow run that was not started; {@code reason} is a bounded word such as {@code limit}. */
    public void shadowSkipped(String shadow, String reason) {
        Counter.builder("moe.shadow.skipped")
                .description("Shadow runs not started")
                .tags("model", model, "shadow", shadow, "reason", reason)
                .register(registry)
                .increment();
    }

    /** Counts a shadow run that failed; {@code status} is the gRPC status name in lower case. */
    public void shadowFailed(String shadow, String status) {
        Counter.builder("moe.shadow.failures")
                .description("Shadow runs that failed")
                .tags("model", model, "shadow", shadow, "reason", status)
                .register(registry)
                .increment();
    }

    private Counter shadowImages(String policy, String shadow, String agreement) {
        return Counter.builder("moe.shadow.images")
                .description("Images served by the shadow policy, by agreement of its label with the served label")
                .tags("model", model, "policy", policy, "shadow", shadow, "agreement", agreement)
                .register(registry);
    }

    void recordRouting(String policy, int layer, long nanos) {
        meters(policy).routing[layer].record(nanos, TimeUnit.NANOSECONDS);
    }

    private void routed(String policy, int layer, RouteDecision decision) {
        PolicyMeters meters = meters(policy);
        long[] tokens = new long[manifest.layer(layer).experts()];
        for (int expert : decision.experts()) {
            if (expert >= 0 && expert < tokens.length) {
                tokens[expert]++;
            }
        }
        for (int e = 0; e < tokens.length; e++) {
            if (tokens[e] > 0) {
                meters.tokens[layer][e].increment(tokens[e]);
            }
        }
        meters.windows[layer].add(tokens);
    }

    private PolicyMeters meters(String policy) {
        return byPolicy.computeIfAbsent(policy, this::createMeters);
    }

    private PolicyMeters createMeters(String policy) {
        int layers = manifest.layers().size();
        Counter[][] tokens = new Counter[layers][];
        ExpertLoadWindow[] windows = new ExpertLoadWindow[layers];
        Timer[] routing = new Timer[layers];
        long sliceNanos = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS) / WINDOW_SLICES;
        for (int l = 0; l < layers; l++) {
            String layer = Integer.toString(l);
            int experts = manifest.layer(l).experts();
            tokens[l] = new Counter[experts];
            for (int e = 0; e < experts; e++) {
                tokens[l][e] = Counter.builder("moe.expert.tokens")
                        .description("Tokens routed to an expert")
                        .baseUnit("tokens")
                        .tags("model", model, "layer", layer, "expert", Integer.toString(e), "policy", policy)
                        .register(registry);
            }
            ExpertLoadWindow window = new ExpertLoadWindow(experts, WINDOW_SLICES, sliceNanos, nanoClock);
            windows[l] = window;
            int layerIndex = l;
            Gauge.builder("moe.layer.balancedness", window, w -> w.balancedness(poolSize(policy, layerIndex)))
                    .description("Mean over max tokens per expert of the policy's pool over the last "
                            + WINDOW_SECONDS + " s; 1 is perfectly even")
                    .tags("model", model, "layer", layer, "policy", policy)
                    .strongReference(true)
                    .register(registry);
            routing[l] = Timer.builder("moe.routing.duration")
                    .description("Time a routing policy takes for one layer of a batch")
                    .tags("model", model, "policy", policy, "layer", layer)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(1000))
                    .maximumExpectedValue(Duration.ofSeconds(1))
                    .register(registry);
        }
        return new PolicyMeters(tokens, windows, routing);
    }

    private int poolSize(String policy, int layer) {
        int[] sizes = poolSizes.get(policy);
        return sizes != null ? sizes[layer] : manifest.layer(layer).experts();
    }

    private record PolicyMeters(Counter[][] tokens, ExpertLoadWindow[] windows, Timer[] routing) {
    }
}
