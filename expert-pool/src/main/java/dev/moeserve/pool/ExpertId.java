package dev.moeserve.pool;

import java.util.Collection;
import java.util.Iterator;

/** An expert by MoE layer and original expert index (gate column). */
public record ExpertId(int layer, int expert) implements Comparable<ExpertId> {

    /** Experts named in full by {@link #describe}. */
    private static final int DESCRIBED_EXPERTS = 8;

    public ExpertId {
        if (layer < 0) {
            throw new IllegalArgumentException("layer must be >= 0, got " + layer);
        }
        if (expert < 0) {
            throw new IllegalArgumentException("expert must be >= 0, got " + expert);
        }
    }

    /** Parses {@code "layer:expert"}, for example {@code "2:13"}. */
    public static ExpertId parse(String text) {
        String[] parts = text.trim().split(":");
        if (parts.length != 2) {
            throw new IllegalArgumentException("expert must be written layer:expert, got '" + text + "'");
        }
        try {
            return new ExpertId(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expert must be written layer:expert with integers, got '" + text + "'");
        }
    }

    /**
     * Describes a set of experts for messages: the count and the first {@value #DESCRIBED_EXPERTS} in
     * iteration order, for example {@code "3 experts (0:0, 0:1, 1:4)"}.
     */
    public static String describe(Collection<ExpertId> experts) {
        StringBuilder text = new StringBuilder()
                .append(experts.size())
                .append(experts.size() == 1 ? " expert (" : " experts (");
        Iterator<ExpertId> iterator = experts.iterator();
        for (int i = 0; i < DESCRIBED_EXPERTS && iterator.hasNext(); i++) {
            text.append(i == 0 ? "" : ", ").append(iterator.next());
        }
        return text.append(iterator.hasNext() ? ", ...)" : ")").toString();
    }

    @Override
    public int compareTo(ExpertId other) {
        int byLayer = Integer.compare(layer, other.layer);
        return byLayer != 0 ? byLayer : Integer.compare(expert, other.expert);
    }

    @Override
    public String toString() {
        return layer + ":" + expert;
    }
}
