package dev.moeserve.profiler;

import ai.djl.ndarray.NDManager;
import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.profiler.bundle.BundleExporter;
import dev.moeserve.profiler.model.DjlRuntime;
import dev.moeserve.profiler.model.VitMoe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ONNX Runtime 1.29 writes a device id under {@code $XDG_CACHE_HOME/Microsoft} (else
 * {@code $HOME/.cache/Microsoft}) when it starts unless telemetry is disabled before its environment exists.
 * Every child runs without {@code ORT_DISABLE_TELEMETRY} in its environment and with HOME and
 * XDG_CACHE_HOME in a temporary folder.
 */
class TelemetryTest {

    @TempDir
    Path dir;

    @Test
    void projectRuntimeSetsTheVariableForOnnxRuntime() throws Exception {
        Path bundle = tinyBundle();
        Path home = Files.createDirectories(dir.resolve("home-variable"));

        int exit = runChild(home, "project", bundle.toString());

        assertThat(exit).isZero();
        assertThat(Files.readString(dir.resolve("project.log")))
                .contains(TelemetryProbe.NATIVE_VALUE_LINE + "1");
    }

    @Test
    void projectRuntimeWritesNoTelemetryWhereBareRuntimeDoes() throws Exception {
        Path bareHome = Files.createDirectories(dir.resolve("home-bare"));
        // The exit code is not checked: with telemetry on, ONNX Runtime 1.29.0 has crashed the JVM at exit
        // (SIGSEGV) on these machines, which is one more reason the project turns it off.
        runChild(bareHome, "bare", "");
        assumeTrue(Files.exists(telemetryFolder(bareHome)),
                () -> "ONNX Runtime wrote no telemetry here even without the project's setting, so this machine"
                        + " cannot show the difference; child output: " + readLog("bare"));

        Path bundle = tinyBundle();
        Path home = Files.createDirectories(dir.resolve("home-project"));
        int exit = runChild(home, "project", bundle.toString());

        assertThat(exit).isZero();
        assertThat(telemetryFolder(home)).doesNotExist();
    }

    /** Returns where ONNX Runtime 1.29 keeps its device id: XDG_CACHE_HOME, which each child points into its home. */
    private static Path telemetryFolder(Path home) {
        return home.resolve(".cache/Microsoft");
    }

    private String readLog(String mode) {
        try {
            return Files.readString(dir.resolve(mode + ".log"));
        } catch (java.io.IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private Path tinyBundle() throws Exception {
        DjlRuntime.configure();
        Path bundle = dir.resolve("tiny");
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = VitMoe.initialise(manager, new VitMoeConfig(4, 7, 16, 2, 2, 4, 2, 16, 10), 1);
            BundleExporter.export(model, bundle, new BundleExporter.Options("tiny", "1",
                    new Accuracy("none", 1, 0.1), null, null, null));
        }
        return bundle;
    }

    private int runChild(Path home, String mode, String argument) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                TelemetryProbe.class.getName(), mode, argument);
        builder.environment().remove("ORT_DISABLE_TELEMETRY");
        builder.environment().put("HOME", home.toString());
        // ONNX Runtime prefers XDG_CACHE_HOME to HOME/.cache, so a machine that sets it would hide the write.
        builder.environment().put("XDG_CACHE_HOME", home.resolve(".cache").toString());
        builder.redirectErrorStream(true);
        builder.redirectOutput(dir.resolve(mode + ".log").toFile());
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("child " + mode + " did not finish in 120 s");
        }
        return process.exitValue();
    }
}
