package dev.moeserve.model.progress;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressBarTest {

    @Test
    void logModePrintsTenthsWithoutCarriageReturns() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new ProgressLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), false),
                "epoch 1/1", 100);

        for (int done = 1; done <= 100; done++) {
            bar.update(done, "loss 0.5");
        }
        bar.finish("done");

        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("\r");
        assertThat(text.lines().count()).as("one line per tenth, the last step and the summary").isEqualTo(12);
        assertThat(text).contains("epoch 1/1 [##############################] 100/100");
        assertThat(text.lines().reduce((a, b) -> b).orElseThrow()).isEqualTo("epoch 1/1 done");
    }

    @Test
    void inPlaceModeRewritesOneLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressLine line = new ProgressLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);

        line.update("a longer status");
        line.update("short");
        line.finish();

        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("\ra longer status\rshort          \n");
    }

    @Test
    void barFillsItsShare() {
        assertThat(ProgressBar.bar(0, 4)).isEqualTo("[" + ".".repeat(30) + "]");
        assertThat(ProgressBar.bar(2, 4)).isEqualTo("[" + "#".repeat(15) + ".".repeat(15) + "]");
        assertThat(ProgressBar.bar(9, 4)).isEqualTo("[" + "#".repeat(30) + "]");
    }
}
