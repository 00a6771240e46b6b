package dev.moeserve.loadtest.engine;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class WindowSnapshotTest {

    @Test
    void mergeAddsDurationsCountsAndHistograms() {
        WindowSnapshot first = new WindowSnapshot(1_000_000_000L, histogram(10, 2000), 40, 30, 40,
                Map.of("http_503", 2L), Map.of("topk", policy(10, 2000)));
        WindowSnapshot second = new WindowSnapshot(500_000_000L, histogram(5, 4000), 20, 10, 20,
                Map.of("http_503", 1L, "timeout", 1L), Map.of("topk", policy(5, 4000), "masked", policy(2, 1000)));

        WindowSnapshot merged = WindowSnapshot.merge(List.of(first, second));

        assertThat(merged.nanos()).isEqualTo(1_500_000_000L);
        assertThat(merged.requests()).isEqualTo(15);
        assertThat(merged.images()).isEqualTo(60);
        assertThat(merged.correct()).isEqualTo(40);
        assertThat(merged.labelled()).isEqualTo(60);
        assertThat(merged.errors()).containsExactly(Map.entry("http_503", 3L), Map.entry("timeout", 1L));
        assertThat(merged.errorCount()).isEqualTo(4);
        assertThat(merged.throughput()).isEqualTo(10.0);
        assertThat(merged.latency().getMaxValue()).isBetween(3990L, 4010L);
        assertThat(merged.policies().get("topk").latency().getTotalCount()).isEqualTo(15);
        assertThat(merged.policies().get("masked").latency().getTotalCount()).isEqualTo(2);
    }

    @Test
    void levelResultReportsMillisecondsAndAccuracy() {
        WindowSnapshot window = new WindowSnapshot(2_000_000_000L, histogram(4, 1500), 16, 12, 16, Map.of("timeout", 1L),
                Map.of());

        LevelResult result = new LevelResult(LoadLevel.closed(2), 3, true, window);

        assertThat(result.throughput()).isEqualTo(2.0);
        assertThat(result.imagesPerSecond()).isEqualTo(8.0);
        assertThat(result.latencyMillis(50)).isBetween(1.49, 1.51);
        assertThat(result.accuracy()).isEqualTo(0.75);
        assertThat(result.errorRate()).isEqualTo(0.2);
    }

    @Test
    void emptyLevelHasNoLatency() {
        LevelResult result = new LevelResult(LoadLevel.closed(1), 1, false,
                new WindowSnapshot(1, histogram(0, 0), 0, 0, 0, Map.of(), Map.of()));

        assertThat(result.latencyMillis(50)).isNaN();
        assertThat(result.maxMillis()).isNaN();
        assertThat(result.accuracy()).isNaN();
        assertThat(result.errorRate()).isZero();
    }

    private static Histogram histogram(int count, long micros) {
        Histogram histogram = new Histogram(3);
        for (int i = 0; i < count; i++) {
            histogram.recordValue(micros);
        }
        return histogram;
    }

    private static WindowSnapshot.PolicyWindow policy(int count, long micros) {
        return new WindowSnapshot.PolicyWindow(histogram(count, micros), count, 0, 0, 0);
    }
}
