package dev.moeserve.loadtest.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestPlanTest {

    @Test
    void cyclingWrapsAroundWithoutKeys() {
        RequestPlan plan = RequestPlan.cycling(3);
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            RequestPlan.Request request = plan.next();
            indices.add(request.batchIndex());
            assertThat(request.stickyKey()).isNull();
        }

        assertThat(indices).containsExactly(0, 1, 2, 0, 1, 2, 0);
    }

    @Test
    void onceEndsAfterEveryBatch() {
        RequestPlan plan = RequestPlan.once(2);

        assertThat(plan.next().batchIndex()).isZero();
        assertThat(plan.next().batchIndex()).isEqualTo(1);
        assertThat(plan.next()).isNull();
        assertThat(plan.next()).isNull();
    }

    @Test
    void stickyKeysComeFromBoundedUsers() {
        RequestPlan plan = RequestPlan.once(500, 5, 1);
        Set<String> keys = new HashSet<>();
        for (RequestPlan.Request request = plan.next(); request != null; request = plan.next()) {
            keys.add(request.stickyKey());
        }

        assertThat(keys).containsExactlyInAnyOrder("user-0", "user-1", "user-2", "user-3", "user-4");
    }

    @Test
    void sameSeedGivesSameKeys() {
        RequestPlan first = RequestPlan.cycling(4, 100, 9);
        RequestPlan second = RequestPlan.cycling(4, 100, 9);

        for (int i = 0; i < 20; i++) {
            assertThat(first.next()).isEqualTo(second.next());
        }
    }

    @Test
    void emptyPlanIsRejected() {
        assertThatThrownBy(() -> RequestPlan.cycling(0)).hasMessage("batches must be >= 1, got 0");
        assertThatThrownBy(() -> RequestPlan.once(3, -1, 0)).hasMessage("users must be >= 0, got -1");
    }
}
