package dev.moeserve.pool;

import org.junit.jupiter.api.Test;

import java.util.SortedSet;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExpertSelectionTest {

    private static SortedSet<ExpertId> experts(int layers, int perLayer) {
        SortedSet<ExpertId> all = new TreeSet<>();
        for (int layer = 0; layer < layers; layer++) {
            for (int expert = 0; expert < perLayer; expert++) {
                all.add(new ExpertId(layer, expert));
            }
        }
        return all;
    }

    @Test
    void shardsAreContiguousDisjointAndCoverAll() {
        SortedSet<ExpertId> all = experts(3, 5);
        SortedSet<ExpertId> union = new TreeSet<>();
        int total = 0;

        for (int index = 0; index < 4; index++) {
            SortedSet<ExpertId> shard = ExpertSelection.shard(index, 4).select(all);
            assertThat(shard.size()).as("size of shard %d", index).isBetween(3, 4);
            total += shard.size();
            union.addAll(shard);
        }

        assertThat(total).isEqualTo(all.size());
        assertThat(union).isEqualTo(all);
        assertThat(ExpertSelection.shard(0, 4).select(all)).containsExactly(new ExpertId(0, 0), new ExpertId(0, 1),
                new ExpertId(0, 2));
    }

    @Test
    void shardParsesFromText() {
        assertThat(ExpertSelection.parseShard(" 1/3 ")).isEqualTo(ExpertSelection.shard(1, 3));
    }

    @Test
    void shardRejectsBadText() {
        assertThatThrownBy(() -> ExpertSelection.parseShard("1-3")).hasMessageContaining("i/n");
        assertThatThrownBy(() -> ExpertSelection.parseShard("a/3")).hasMessageContaining("integers");
        assertThatThrownBy(() -> ExpertSelection.parseShard("3/3")).hasMessageContaining("between 0 and 2, got 3");
        assertThatThrownBy(() -> ExpertSelection.parseShard("0/0")).hasMessageContaining("at least 1, got 0");
    }

    @Test
    void shardWithNoExpertIsRejected() {
        assertThatThrownBy(() -> ExpertSelection.shard(0, 3).select(experts(1, 2)))
                .hasMessageContaining("selects no expert");
    }

    @Test
    void expertListParsesAndChecksAvailability() {
        ExpertSelection selection = ExpertSelection.parseExperts("1:2, 0:1,");

        assertThat(selection.select(experts(2, 4))).containsExactly(new ExpertId(0, 1), new ExpertId(1, 2));
        assertThatThrownBy(() -> selection.select(experts(1, 4)))
                .hasMessageContaining("[1:2]")
                .hasMessageContaining("4 experts (0:0, 0:1, 0:2, 0:3)");
    }

    @Test
    void expertListRejectsEmptyAndMalformed() {
        assertThatThrownBy(() -> ExpertSelection.parseExperts(" , ")).hasMessageContaining("at least one expert");
        assertThatThrownBy(() -> ExpertSelection.parseExperts("0-1")).hasMessageContaining("layer:expert");
    }

    @Test
    void allSelectsEverything() {
        assertThat(ExpertSelection.all().select(experts(2, 2))).hasSize(4);
    }
}
