package dev.moeserve.loadtest.engine;

import java.util.Random;

/**
 * The order in which a load run sends its request bodies, and the sticky key of each request. Callers
 * take requests from one thread at a time; implementations synchronize anyway.
 */
public interface RequestPlan {

    /**
     * One request to send.
     *
     * @param batchIndex index of the request body in the client
     * @param stickyKey  value of the sticky header, or null for none
     */
    record Request(int batchIndex, String stickyKey) {
    }

    /** Returns the next request, or null when the plan has no more. */
    Request next();

    /** Sends the {@code batches} bodies in turn, without end and without sticky keys. */
    static RequestPlan cycling(int batches) {
        return cycling(batches, 0, 0);
    }

    /**
     * Sends the {@code batches} bodies in turn, without end, each with the sticky key {@code user-N} of one
     * of {@code users} simulated callers drawn at random; {@code users = 0} sends no sticky keys.
     */
    static RequestPlan cycling(int batches, int users, long seed) {
        checkBatches(batches);
        checkUsers(users);
        Random random = new Random(seed);
        return new RequestPlan() {
            private int index;

            @Override
            public synchronized Request next() {
                int batch = index;
                index = (index + 1) % batches;
                return new Request(batch, users == 0 ? null : "user-" + random.nextInt(users));
            }
        };
    }

    /** Sends each of the {@code batches} bodies once, in order, then stops: a replay of a data set. */
    static RequestPlan once(int batches) {
        return once(batches, 0, 0);
    }

    /**
     * Like {@link #once(int)}, each request with the sticky key of one of {@code users} simulated callers
     * drawn at random; {@code users = 0} sends no sticky keys.
     */
    static RequestPlan once(int batches, int users, long seed) {
        checkBatches(batches);
        checkUsers(users);
        Random random = new Random(seed);
        return new RequestPlan() {
            private int index;

            @Override
            public synchronized Request next() {
                if (index >= batches) {
                    return null;
                }
                return new Request(index++, users == 0 ? null : "user-" + random.nextInt(users));
            }
        };
    }

    private static void checkBatches(int batches) {
        if (batches < 1) {
            throw new IllegalArgumentException("batches must be >= 1, got " + batches);
        }
    }

    private static void checkUsers(int users) {
        if (users < 0) {
            throw new IllegalArgumentException("users must be >= 0, got " + users);
        }
    }
}
