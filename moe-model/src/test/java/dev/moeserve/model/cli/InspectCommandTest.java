package dev.moeserve.model.cli;

import dev.moeserve.model.bundle.TestBundles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine command = new CommandLine(new ModelCli());
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));
        return command.execute(args);
    }

    @Test
    void validBundlePrintsLayerTable() throws IOException {
        TestBundles.writeReduced(dir);

        int exitCode = run("inspect", dir.toString());

        assertThat(exitCode).isZero();
        assertThat(err.toString()).isEmpty();
        String output = out.toString();
        assertThat(output).contains("Model     tiny-moe version 1 (moe-bundle/1)");
        assertThat(output).contains("Input     images FP32 [-1, 28, 28], 50 tokens, width 8, opset 17");
        assertThat(output).contains("Accuracy  0.9012 on fashion-mnist test (10,000 images)");
        assertThat(output).contains("Origin    reduced from tiny-moe version 1 by score agf, keep ratio 0.8750, "
                + "per-layer budget");
        assertThat(output).containsPattern("layer +experts +top-k +kept +pool +prior");
        assertThat(output).containsPattern("\\n +0 +4 +2 +4/4 +all +no\\n");
        assertThat(output).containsPattern("\\n +1 +4 +2 +3/4 +0 2 3 +yes\\n");
        assertThat(output).containsPattern("experts of layer 1 +3 files +1,920 ");
        assertThat(output).containsPattern("expert files +4,480 ");
    }

    @Test
    void outputIsDeterministic() throws IOException {
        TestBundles.writeFull(dir);

        run("inspect", dir.toString());
        String first = out.toString();
        out.getBuffer().setLength(0);
        run("inspect", dir.toString());

        assertThat(out.toString()).isEqualTo(first);
        assertThat(first).contains("Origin    full bundle");
    }

    @Test
    void corruptedBundleExitsWithOne() throws IOException {
        TestBundles.writeFull(dir);
        Files.writeString(dir.resolve("experts/layer1/expert0.onnx"), "changed");

        int exitCode = run("inspect", dir.toString());

        assertThat(exitCode).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).contains("files[\"experts/layer1/expert0.onnx\"].bytes does not match the file");
    }

    @Test
    void helpDescribesBundleParameter() {
        int exitCode = run("inspect", "--help");

        assertThat(exitCode).isZero();
        assertThat(out.toString()).contains("Usage: moe-model inspect");
        assertThat(out.toString()).contains("BUNDLE");
    }
}
