package dev.moeserve.router.policy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The routing policies in force: arms that split traffic by weight, an optional shadow, and the header
 * that keeps a caller on one arm. The table is replaced at runtime as a whole, by the admin API or when
 * the policies file changes, without failing a request.
 *
 * <p><b>Design note.</b> The table in force is an immutable {@link Snapshot} behind an
 * {@link AtomicReference}. Invariants:
 * <ul>
 *   <li>A request calls {@link #current()} once and uses that snapshot for its arm, its shadow and its
 *       sticky header, so a request never mixes two tables, and one in flight during a swap finishes
 *       with the policies it started with. Policies are immutable, so an old snapshot stays valid for as
 *       long as a request uses it.</li>
 *   <li>A snapshot in force has been validated completely: {@link #replace} compiles and checks the new
 *       table before it publishes it, and an invalid table leaves the old one in force.</li>
 *   <li>Versions increase by one with every successful replacement, starting at 1.</li>
 *   <li>Assignment is a function of the sticky key and the weights alone: the same key goes to the same
 *       arm in every process while the arms and weights stay the same. A request without a key is
 *       assigned at random in proportion to the weights.</li>
 * </ul>
 *
 * <p>Threads: {@link #current()} and {@link Snapshot#assign} run on event loops and executors without
 * locks. {@link #replace} runs on the admin request's worker thread or the file watcher's; replacements
 * are serialized by this object's monitor so that versions and swap listeners see one order. Swap
 * listeners run on the replacing thread after the new snapshot is published.
 */
public final class PolicyTable {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyTable.class);

    /** One arm: a policy and its weight relative to the other arms. */
    public record Arm(String name, double weight, ServingPolicy policy) {
    }

    private final PolicyCompiler compiler;
    private final AtomicReference<Snapshot> current = new AtomicReference<>();
    private final List<Consumer<Snapshot>> swapListeners = new CopyOnWriteArrayList<>();

    /**
     * Builds the first table from {@code initial}.
     *
     * @throws PolicyConfigException when {@code initial} is invalid
     */
    public PolicyTable(PolicyCompiler compiler, TableSpec initial, String source) {
        this.compiler = compiler;
        PolicyCompiler.Compiled compiled = compiler.compile(initial, source);
        current.set(new Snapshot(1, initial, compiled, source, Instant.now()));
        LOG.info("Policy table 1 from {}: {}", source, current.get().describe());
    }

    /** Returns the table in force. Read it once per request. */
    public Snapshot current() {
        return current.get();
    }

    /**
     * Validates {@code spec} and makes it the table in force.
     *
     * @param source what the table came from, for example {@code admin} or the policies file's path
     * @return the new snapshot
     * @throws PolicyConfigException when {@code spec} is invalid; the table in force stays
     */
    public synchronized Snapshot replace(TableSpec spec, String source) {
        PolicyCompiler.Compiled compiled = compiler.compile(spec, source);
        Snapshot next = new Snapshot(current.get().version() + 1, spec, compiled, source, Instant.now());
        current.set(next);
        LOG.info("Policy table {} from {}: {}", next.version(), source, next.describe());
        for (Consumer<Snapshot> listener : swapListeners) {
            listener.accept(next);
        }
        return next;
    }

    /** Adds a listener that runs after every replacement, and runs it once now with the table in force. */
    public synchronized void onSwap(Consumer<Snapshot> listener) {
        swapListeners.add(listener);
        listener.accept(current.get());
    }

    /** An immutable table: what {@link #current()} returns. */
    public static final class Snapshot {

        private final long version;
        private final TableSpec spec;
        private final List<Arm> arms;
        private final double[] upperBounds;
        private final ServingPolicy shadow;
        private final String stickyHeader;
        private final String source;
        private final Instant installedAt;

        Snapshot(long version, TableSpec spec, PolicyCompiler.Compiled compiled, String source, Instant installedAt) {
            this.version = version;
            this.spec = spec;
            this.arms = compiled.arms();
            this.shadow = compiled.shadow();
            this.stickyHeader = compiled.stickyHeader();
            this.source = source;
            this.installedAt = installedAt;
            this.upperBounds = upperBounds(arms);
        }

        /**
         * Returns the arm for {@code stickyKey}, or a random arm in proportion to the weights when the key
         * is null or empty.
         */
        public Arm assign(String stickyKey) {
            double u = stickyKey == null || stickyKey.isEmpty()
                    ? ThreadLocalRandom.current().nextDouble()
                    : StickyHash.unit(stickyKey);
            return armAt(u);
        }

        /** Returns the arm whose share of [0, 1) contains {@code u}; arms of weight 0 are never chosen. */
        public Arm armAt(double u) {
            for (int i = 0; i < arms.size(); i++) {
                if (u < upperBounds[i]) {
                    return arms.get(i);
                }
            }
            // Rounding can leave the last bound just below 1: the last arm with a weight takes the rest.
            for (int i = arms.size() - 1; i >= 0; i--) {
                if (arms.get(i).weight() > 0) {
                    return arms.get(i);
                }
            }
            throw new IllegalStateException("no arm has a weight above 0");
        }

        /** Returns the policy named {@code name} among the arms and the shadow, or null. */
        public ServingPolicy policy(String name) {
            for (Arm arm : arms) {
                if (arm.name().equals(name)) {
                    return arm.policy();
                }
            }
            return shadow != null && shadow.name().equals(name) ? shadow : null;
        }

        public long version() {
            return version;
        }

        /** Returns the table as written by its source. */
        public TableSpec spec() {
            return spec;
        }

        public List<Arm> arms() {
            return arms;
        }

        /** Returns the shadow policy, or null. */
        public ServingPolicy shadow() {
            return shadow;
        }

        /** Lower-case name of the header that carries the sticky key, or null. */
        public String stickyHeader() {
            return stickyHeader;
        }

        public String source() {
            return source;
        }

        public Instant installedAt() {
            return installedAt;
        }

        /** Returns the sum of the arms' weights. */
        public double totalWeight() {
            return arms.stream().mapToDouble(Arm::weight).sum();
        }

        String describe() {
            StringBuilder text = new StringBuilder();
            double total = totalWeight();
            for (Arm arm : arms) {
                if (!text.isEmpty()) {
                    text.append(", ");
                }
                text.append(arm.policy()).append(String.format(" %.1f%%", 100 * arm.weight() / total));
            }
            if (shadow != null) {
                text.append("; shadow ").append(shadow);
            }
            if (stickyHeader != null) {
                text.append("; sticky header ").append(stickyHeader);
            }
            return text.toString();
        }

        private static double[] upperBounds(List<Arm> arms) {
            double total = arms.stream().mapToDouble(Arm::weight).sum();
            double[] bounds = new double[arms.size()];
            double sum = 0;
            for (int i = 0; i < arms.size(); i++) {
                sum += arms.get(i).weight();
                bounds[i] = sum / total;
            }
            return bounds;
        }

        @Override
        public String toString() {
            return "PolicyTable.Snapshot[version " + version + " from " + Objects.toString(source) + ": " + describe()
                    + "]";
        }
    }
}
