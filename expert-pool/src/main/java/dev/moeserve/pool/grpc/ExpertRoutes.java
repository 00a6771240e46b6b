package dev.moeserve.pool.grpc;

import dev.moeserve.pool.BackendFailureException;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.grpc.proto.ExpertInfo;
import dev.moeserve.pool.grpc.proto.ListExpertsResponse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** The workers that loaded each expert, built from their ListExperts responses. Immutable. */
final class ExpertRoutes {

    private final SortedMap<ExpertId, Route> routes;
    private final long weightBytes;

    private ExpertRoutes(SortedMap<ExpertId, Route> routes, long weightBytes) {
        this.routes = Collections.unmodifiableSortedMap(routes);
        this.weightBytes = weightBytes;
    }

    /**
     * Builds the routes from the ListExperts responses of the reachable workers, in the order given.
     *
     * @throws BackendFailureException when two workers report different widths for the same expert
     */
    static ExpertRoutes of(Map<WorkerLink, ListExpertsResponse> answers) {
        SortedMap<ExpertId, Route> routes = new TreeMap<>();
        long weightBytes = 0;
        for (Map.Entry<WorkerLink, ListExpertsResponse> answer : answers.entrySet()) {
            weightBytes += answer.getValue().getWeightBytes();
            for (ExpertInfo info : answer.getValue().getExpertsList()) {
                ExpertId id = new ExpertId(info.getLayer(), info.getExpert());
                Route route = routes.computeIfAbsent(id, key -> new Route(info.getWidth(), new ArrayList<>()));
                if (route.width() != info.getWidth()) {
                    throw new BackendFailureException("workers disagree on the width of expert " + id + ": "
                            + route.holders().get(0).address() + " reports " + route.width() + ", "
                            + answer.getKey().address() + " reports " + info.getWidth());
                }
                route.holders().add(answer.getKey());
            }
        }
        return new ExpertRoutes(routes, weightBytes);
    }

    /** Returns the route of an expert, or null when no worker loaded it. */
    Route route(ExpertId id) {
        return routes.get(id);
    }

    SortedMap<ExpertId, Route> all() {
        return routes;
    }

    /** Returns the bytes of weights the workers reported, counting an expert once per worker that loaded it. */
    long weightBytes() {
        return weightBytes;
    }

    /** The workers that loaded one expert, and the width it expects. */
    record Route(int width, List<WorkerLink> holders) {

        /**
         * Returns the holders in the order to try them: a rotation chosen by {@code turn} spreads calls
         * over the holders, and workers that failed within {@code backoff} go last.
         */
        List<WorkerLink> order(long turn, Duration backoff) {
            int size = holders.size();
            List<WorkerLink> healthy = new ArrayList<>(size);
            List<WorkerLink> failed = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                WorkerLink worker = holders.get((int) Math.floorMod(turn + i, (long) size));
                (worker.failedWithin(backoff) ? failed : healthy).add(worker);
            }
            healthy.addAll(failed);
            return healthy;
        }
    }
}
