package dev.moeserve.loadtest.engine;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StabilityTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void threeAgreeingWindowsAreStable() {
        List<WindowSnapshot> windows = List.of(window(100, 1000), window(104, 1050), window(109, 1090));

        assertThat(Stability.isStable(windows, 3, 0.10)).isTrue();
    }

    @Test
    void throughputSpreadAboveToleranceIsUnstable() {
        List<WindowSnapshot> windows = List.of(window(100, 1000), window(100, 1000), window(111, 1000));

        assertThat(Stability.isStable(windows, 3, 0.10)).isFalse();
    }

    @Test
    void medianSpreadAboveToleranceIsUnstable() {
        List<WindowSnapshot> windows = List.of(window(100, 1000), window(100, 1200), window(100, 1000));

        assertThat(Stability.isStable(windows, 3, 0.10)).isFalse();
    }

    @Test
    void onlyLastWindowsCount() {
        List<WindowSnapshot> windows = new ArrayList<>(List.of(window(10, 5000), window(100, 1000)));
        windows.add(window(101, 1010));
        windows.add(window(102, 1005));

        assertThat(Stability.isStable(windows, 3, 0.10)).isTrue();
    }

    @Test
    void fewerWindowsThanRequiredAreUnstable() {
        assertThat(Stability.isStable(List.of(window(100, 1000), window(100, 1000)), 3, 0.10)).isFalse();
    }

    @Test
    void windowWithoutRequestsIsUnstable() {
        List<WindowSnapshot> windows = List.of(window(0, 0), window(0, 0), window(0, 0));

        assertThat(Stability.isStable(windows, 3, 0.10)).isFalse();
    }

    @Test
    void spreadIsRelativeToMinimum() {
        assertThat(Stability.spread(new double[] {100, 110})).isEqualTo(0.10);
        assertThat(Stability.spread(new double[] {0, 1})).isInfinite();
    }

    /** Builds a one-second window of {@code requests} requests, each with latency {@code micros}. */
    static WindowSnapshot window(int requests, long micros) {
        Histogram latency = new Histogram(3);
        for (int i = 0; i < requests; i++) {
            latency.recordValue(micros);
        }
        return new WindowSnapshot(SECOND, latency, requests, 0, 0, Map.of(), Map.of());
    }
}
