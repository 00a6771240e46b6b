package dev.moeserve.loadtest.scenario;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;

/**
 * Reads the router's counters from its registry in process, by their names in code, so that a scenario
 * can report what the server counted between two points in time.
 */
final class RouterCounters {

    /** Images a cascade served again with the full pool. */
    static final String ESCALATIONS = "moe.cascade.escalations";

    /** Images served. */
    static final String IMAGES = "moe.images";

    /** Images the shadow policy also served, by agreement. */
    static final String SHADOW_IMAGES = "moe.shadow.images";

    private RouterCounters() {
    }

    /** Returns the sum of every counter named {@code name} whose tags include {@code tags} (key, value, ...). */
    static double sum(MeterRegistry registry, String name, String... tags) {
        Search search = registry.find(name);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        return search.counters().stream().mapToDouble(Counter::count).sum();
    }
}
