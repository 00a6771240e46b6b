package dev.moeserve.pool;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Micrometer meters of a {@link LocalExpertPool}. Per-expert meters carry the tags {@code layer} and
 * {@code expert}, whose values are bounded by the bundle. The pool removes its meters from the registry
 * when it closes, so a later pool can register the same names again.
 */
public final class PoolMetrics {

    /** Counter of tokens run, per expert. */
    public static final String TOKENS = "moe.expert.tokens";

    /** Distribution of tokens per ONNX Runtime run, per expert. */
    public static final String BATCH_TOKENS = "moe.expert.batch.tokens";

    /** Distribution of calls per ONNX Runtime run, per expert; above 1 means calls were batched. */
    public static final String BATCH_CALLS = "moe.expert.batch.calls";

    /** Timer of ONNX Runtime runs, per expert. */
    public static final String EXECUTION = "moe.expert.execution";

    /** Timer of the time a call waits in the batcher before its run starts, per expert. */
    public static final String QUEUE_WAIT = "moe.expert.queue.wait";

    /** Gauge of calls waiting in the batcher, per expert. */
    public static final String QUEUED_CALLS = "moe.expert.queue.calls";

    /** Counter of failed calls, per expert, with tag {@code reason}. */
    public static final String FAILURES = "moe.expert.failures";

    /** Gauge of the bytes of expert weights loaded (the ONNX file sizes). */
    public static final String WEIGHT_BYTES = "moe.pool.weights";

    /** Gauge of the experts loaded. */
    public static final String EXPERTS = "moe.pool.experts";

    /** Gauge fixed at 1 whose tags {@code execution.provider} and {@code device} describe the pool. */
    public static final String INFO = "moe.pool.info";

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    PoolMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Returns the registry the meters are registered in. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Registers the pool-wide gauges, which read {@code pool} when scraped. */
    synchronized void registerPool(LocalExpertPool pool) {
        meters.add(Gauge.builder(WEIGHT_BYTES, pool, p -> (double) p.weightBytes())
                .description("Bytes of expert weights loaded")
                .baseUnit(BaseUnits.BYTES)
                .register(registry));
        meters.add(Gauge.builder(EXPERTS, pool, p -> p.experts().size())
                .description("Experts loaded")
                .register(registry));
        meters.add(Gauge.builder(INFO, () -> 1)
                .description("Execution provider and device of the expert sessions")
                .tags("execution.provider", pool.executionProvider().label(), "device", pool.device())
                .register(registry));
    }

    /** Creates the meters of one expert; {@code queued} reads the calls waiting for it. */
    synchronized ExpertMeters expert(ExpertId id, Supplier<Number> queued) {
        Tags tags = Tags.of("layer", Integer.toString(id.layer()), "expert", Integer.toString(id.expert()));
        ExpertMeters expert = new ExpertMeters(
                add(Counter.builder(TOKENS).description("Tokens run").baseUnit("tokens").tags(tags)
                        .register(registry)),
                add(DistributionSummary.builder(BATCH_TOKENS).description("Tokens per ONNX Runtime run")
                        .baseUnit("tokens").tags(tags).register(registry)),
                add(DistributionSummary.builder(BATCH_CALLS).description("Calls per ONNX Runtime run")
                        .baseUnit("calls").tags(tags).register(registry)),
                add(Timer.builder(EXECUTION).description("ONNX Runtime run time").tags(tags).register(registry)),
                add(Timer.builder(QUEUE_WAIT).description("Time a call waits in the batcher").tags(tags)
                        .register(registry)),
                failureCounter(tags, "overloaded"),
                failureCounter(tags, "invalid_input"),
                failureCounter(tags, "backend_failure"));
        add(Gauge.builder(QUEUED_CALLS, queued).description("Calls waiting in the batcher").tags(tags)
                .register(registry));
        return expert;
    }

    /** Removes every meter this object registered. */
    synchronized void remove() {
        meters.forEach(registry::remove);
        meters.clear();
    }

    private Counter failureCounter(Tags tags, String reason) {
        return add(Counter.builder(FAILURES).description("Failed calls").tags(tags).tag("reason", reason)
                .register(registry));
    }

    private <M extends Meter> M add(M meter) {
        meters.add(meter);
        return meter;
    }

    /** The meters of one expert. */
    record ExpertMeters(Counter tokens, DistributionSummary batchTokens, DistributionSummary batchCalls,
                        Timer execution, Timer queueWait, Counter overloaded, Counter invalidInput,
                        Counter backendFailure) {
    }
}
