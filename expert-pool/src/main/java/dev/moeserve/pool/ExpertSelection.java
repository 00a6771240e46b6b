package dev.moeserve.pool;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The subset of a bundle's experts that a pool loads: all of them, shard {@code i} of {@code n}, or an
 * explicit list.
 *
 * <p>A shard is a contiguous block of the experts sorted by (layer, expert): shard {@code i} of {@code n}
 * contains positions {@code floor(i * N / n)} up to, not including, {@code floor((i + 1) * N / n)} of the N
 * experts. The split depends only on the sorted list, so every worker started with the same bundle and
 * {@code n} agrees on it, and the shards differ in size by at most one expert.
 */
public sealed interface ExpertSelection {

    /** Selects every expert of the bundle's pool. */
    static ExpertSelection all() {
        return All.INSTANCE;
    }

    /**
     * Selects shard {@code index} of {@code count}.
     *
     * @throws IllegalArgumentException when {@code count < 1} or {@code index} is not in {@code [0, count)}
     */
    static ExpertSelection shard(int index, int count) {
        return new Shard(index, count);
    }

    /**
     * Selects exactly {@code experts}.
     *
     * @throws IllegalArgumentException when the collection is empty
     */
    static ExpertSelection of(Collection<ExpertId> experts) {
        return new Explicit(new TreeSet<>(experts));
    }

    /**
     * Parses a shard written {@code i/n}, for example {@code 0/2}.
     *
     * @throws IllegalArgumentException when the text is not of that form or out of range
     */
    static ExpertSelection parseShard(String text) {
        String[] parts = text.trim().split("/");
        if (parts.length != 2) {
            throw new IllegalArgumentException("shard must be written i/n, for example 0/2, got '" + text + "'");
        }
        try {
            return shard(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("shard must be written i/n with integers, got '" + text + "'");
        }
    }

    /**
     * Parses a comma-separated list of {@code layer:expert}, for example {@code 0:1,0:2,1:7}.
     *
     * @throws IllegalArgumentException when an entry is malformed or the list is empty
     */
    static ExpertSelection parseExperts(String text) {
        List<ExpertId> experts = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                experts.add(ExpertId.parse(part));
            }
        }
        return of(experts);
    }

    /**
     * Returns the selected experts out of {@code available}, sorted.
     *
     * @throws IllegalArgumentException when the selection is empty or names experts that are not available
     */
    SortedSet<ExpertId> select(SortedSet<ExpertId> available);

    /** Every available expert. */
    enum All implements ExpertSelection {
        INSTANCE;

        @Override
        public SortedSet<ExpertId> select(SortedSet<ExpertId> available) {
            if (available.isEmpty()) {
                throw new IllegalArgumentException("the bundle has no experts to load");
            }
            return Collections.unmodifiableSortedSet(new TreeSet<>(available));
        }

        @Override
        public String toString() {
            return "all experts";
        }
    }

    /** Contiguous block {@code index} of {@code count} of the sorted available experts. */
    record Shard(int index, int count) implements ExpertSelection {

        public Shard {
            if (count < 1) {
                throw new IllegalArgumentException("shard count must be at least 1, got " + count);
            }
            if (index < 0 || index >= count) {
                throw new IllegalArgumentException("shard index must be between 0 and " + (count - 1)
                        + ", got " + index);
            }
        }

        @Override
        public SortedSet<ExpertId> select(SortedSet<ExpertId> available) {
            List<ExpertId> sorted = new ArrayList<>(available);
            int from = (int) ((long) index * sorted.size() / count);
            int to = (int) ((long) (index + 1) * sorted.size() / count);
            if (from == to) {
                throw new IllegalArgumentException("shard " + this + " selects no expert: the bundle has only "
                        + sorted.size() + " experts for " + count + " shards");
            }
            return Collections.unmodifiableSortedSet(new TreeSet<>(sorted.subList(from, to)));
        }

        @Override
        public String toString() {
            return index + "/" + count;
        }
    }

    /** The listed experts, each of which must be available. */
    record Explicit(SortedSet<ExpertId> experts) implements ExpertSelection {

        public Explicit {
            if (experts.isEmpty()) {
                throw new IllegalArgumentException("the expert list must name at least one expert");
            }
            experts = Collections.unmodifiableSortedSet(new TreeSet<>(experts));
        }

        @Override
        public SortedSet<ExpertId> select(SortedSet<ExpertId> available) {
            SortedSet<ExpertId> missing = new TreeSet<>(experts);
            missing.removeAll(available);
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("experts " + missing + " are not in the bundle's pool, which has "
                        + ExpertId.describe(available));
            }
            return experts;
        }

        @Override
        public String toString() {
            return experts.toString();
        }
    }
}
