package dev.moeserve.router.metrics;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ExpertLoadWindowTest {

    private final AtomicLong clock = new AtomicLong();
    private final ExpertLoadWindow window = new ExpertLoadWindow(4, 3, 10, clock::get);

    @Test
    void evenLoadIsOne() {
        window.add(new long[] {5, 5, 5, 5});

        assertThat(window.balancedness(4)).isEqualTo(1.0);
    }

    @Test
    void oneExpertTakingAllIsOneOverPool() {
        window.add(new long[] {0, 8, 0, 0});

        assertThat(window.balancedness(4)).isEqualTo(0.25);
        assertThat(window.balancedness(2)).isEqualTo(0.5);
    }

    @Test
    void emptyWindowIsNaN() {
        assertThat(window.balancedness(4)).isNaN();
    }

    @Test
    void oldSlicesLeaveTheWindow() {
        window.add(new long[] {9, 0, 0, 0});
        clock.set(10);
        window.add(new long[] {0, 1, 1, 1});
        assertThat(window.balancedness(4)).isCloseTo(12.0 / 4 / 9, within(1e-12));

        clock.set(30);
        window.add(new long[] {0, 0, 0, 0});

        assertThat(window.balancedness(4)).isEqualTo(0.75);
    }

    @Test
    void reusedBucketStartsEmpty() {
        window.add(new long[] {4, 0, 0, 0});
        clock.set(30);
        window.add(new long[] {1, 1, 1, 1});

        assertThat(window.balancedness(4)).isEqualTo(1.0);
    }
}
