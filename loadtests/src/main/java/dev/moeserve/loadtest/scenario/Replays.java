package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.engine.LoadLevel;
import dev.moeserve.loadtest.engine.LoadMode;

/** Shared choices of the scenarios that send a data set once. */
final class Replays {

    /** Callers of a replay when the load levels are open-loop rates. */
    static final int DEFAULT_CONCURRENCY = 4;

    private Replays() {
    }

    /** Returns the callers of a replay: the first closed-loop concurrency, or 4 when the levels are rates. */
    static int concurrency(BenchContext context) {
        LoadLevel first = context.levels().get(0);
        return first.mode() == LoadMode.CLOSED ? first.concurrency() : DEFAULT_CONCURRENCY;
    }
}
