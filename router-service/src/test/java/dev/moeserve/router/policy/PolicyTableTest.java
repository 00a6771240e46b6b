package dev.moeserve.router.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PolicyTableTest {

    private static final TableSpec NINETY_TEN = new TableSpec(List.of(
            new PolicySpec("agf-prior", null, 90.0, 1.0, null, null),
            PolicySpec.of("masked").withWeight(10)), null, "x-user-id");

    private static PolicyTable table(TableSpec spec) {
        return new PolicyTable(PolicyTestModels.compiler(PolicyTestModels.poolWithPriors(),
                PolicyTestModels.allExperts()), spec, "test");
    }

    @Test
    void stickyKeysSplitByWeight() {
        PolicyTable.Snapshot snapshot = table(NINETY_TEN).current();

        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 2000; i++) {
            counts.merge(snapshot.assign("user-" + i).name(), 1, Integer::sum);
        }

        assertThat(counts.get("agf-prior") / 2000.0).isCloseTo(0.9, within(0.03));
        assertThat(counts.get("masked") / 2000.0).isCloseTo(0.1, within(0.03));
    }

    @Test
    void requestsWithoutKeySplitByWeight() {
        PolicyTable.Snapshot snapshot = table(NINETY_TEN).current();

        int masked = 0;
        for (int i = 0; i < 2000; i++) {
            if (snapshot.assign(null).name().equals("masked")) {
                masked++;
            }
        }

        // 2000 draws at p = 0.1 have a standard deviation of 0.0067; 0.04 is 6 of them.
        assertThat(masked / 2000.0).isCloseTo(0.1, within(0.04));
    }

    @Test
    void sameKeyKeepsItsArmAcrossTables() {
        PolicyTable table = table(NINETY_TEN);
        List<String> first = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            first.add(table.current().assign("caller-" + i).name());
        }

        table.replace(NINETY_TEN, "again");

        for (int i = 0; i < 200; i++) {
            assertThat(table.current().assign("caller-" + i).name()).as("caller-%d", i).isEqualTo(first.get(i));
            assertThat(table.current().assign("caller-" + i).name()).as("caller-%d again", i).isEqualTo(first.get(i));
        }
    }

    @Test
    void zeroWeightArmIsNeverChosen() {
        PolicyTable.Snapshot snapshot = table(new TableSpec(List.of(PolicySpec.of("masked").withWeight(0),
                PolicySpec.of("topk").withWeight(1)), null, null)).current();

        for (double u : new double[] {0.0, 0.5, Math.nextDown(1.0)}) {
            assertThat(snapshot.armAt(u).name()).as("u = %s", u).isEqualTo("topk");
        }
    }

    @Test
    void replaceIncrementsVersionAndNotifies() {
        PolicyTable table = table(NINETY_TEN);
        List<Long> seen = new ArrayList<>();
        table.onSwap(snapshot -> seen.add(snapshot.version()));

        PolicyTable.Snapshot next = table.replace(TableSpec.single(PolicySpec.of("topk")), "admin");

        assertThat(next.version()).isEqualTo(2);
        assertThat(table.current()).isSameAs(next);
        assertThat(next.source()).isEqualTo("admin");
        assertThat(seen).containsExactly(1L, 2L);
    }

    @Test
    void invalidReplacementKeepsTableInForce() {
        PolicyTable table = table(NINETY_TEN);
        PolicyTable.Snapshot before = table.current();

        assertThatThrownBy(() -> table.replace(TableSpec.single(PolicySpec.of("nope")), "admin"))
                .isInstanceOf(PolicyConfigException.class);

        assertThat(table.current()).isSameAs(before);
    }

    @Test
    void stickyHashIsStable() {
        assertThat(StickyHash.unit("user-1")).isEqualTo(StickyHash.unit("user-1"));
        assertThat(StickyHash.unit("user-1")).isNotEqualTo(StickyHash.unit("user-2"));
        assertThat(StickyHash.unit("")).isBetween(0.0, 1.0);
    }
}
