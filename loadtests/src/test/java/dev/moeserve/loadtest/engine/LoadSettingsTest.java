package dev.moeserve.loadtest.engine;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoadSettingsTest {

    @Test
    void defaultsFollowPerfAnalyzerWindows() {
        LoadSettings settings = LoadSettings.builder().build();

        assertThat(settings.window()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.stableWindows()).isEqualTo(3);
        assertThat(settings.tolerance()).isEqualTo(0.10);
        assertThat(settings.maxLevelTime()).isEqualTo(Duration.ofSeconds(2 + 5 * 6 + 30));
    }

    @Test
    void invalidSettingsNameFieldAndValue() {
        assertThatThrownBy(() -> LoadSettings.builder().window(Duration.ZERO).build())
                .hasMessage("window must be a positive duration, got PT0S");
        assertThatThrownBy(() -> LoadSettings.builder().stableWindows(1).build())
                .hasMessage("stableWindows must be >= 2, got 1");
        assertThatThrownBy(() -> LoadSettings.builder().maxWindows(2).build())
                .hasMessage("maxWindows must be >= stableWindows (3), got 2");
        assertThatThrownBy(() -> LoadSettings.builder().tolerance(0).build())
                .hasMessage("tolerance must be a finite number > 0, got 0.0");
        assertThatThrownBy(() -> LoadSettings.builder().warmup(Duration.ofSeconds(-1)).build())
                .hasMessage("warmup must be zero or a positive duration, got PT-1S");
        assertThatThrownBy(() -> LoadLevel.closed(0)).hasMessage("concurrency must be >= 1, got 0");
    }
}
