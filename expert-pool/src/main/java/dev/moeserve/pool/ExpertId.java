package dev.moeserve.pool;

/** An expert by MoE layer and original expert index (gate column). */
public record ExpertId(int layer, int expert) implements Comparable<ExpertId> {

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
