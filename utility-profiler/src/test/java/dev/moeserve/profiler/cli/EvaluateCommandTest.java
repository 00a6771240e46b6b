package dev.moeserve.profiler.cli;

import ai.djl.ndarray.NDManager;
import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.profiler.TestData;
import dev.moeserve.profiler.agf.UtilityProfile;
import dev.moeserve.profiler.bundle.BundleExporter;
import dev.moeserve.profiler.model.DjlRuntime;
import dev.moeserve.profiler.model.VitMoe;
import dev.moeserve.profiler.report.ReportRow;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code moe evaluate} on a tiny bundle through the real ONNX Runtime pipeline. */
class EvaluateCommandTest {

    @TempDir
    static Path dir;
    private static Path bundle;
    private static Path profile;

    @BeforeAll
    static void profileTinyBundle() throws Exception {
        DjlRuntime.configure();
        bundle = dir.resolve("tiny");
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = VitMoe.initialise(manager, new VitMoeConfig(4, 7, 16, 2, 2, 4, 2, 16, 10), 1);
            BundleExporter.export(model, bundle, new BundleExporter.Options("tiny", "1", new Accuracy("none", 1, 0.1),
                    null, null, null));
        }
        profile = dir.resolve("tiny-profile.json");
        int code = ProfilerCli.commandLine().execute("profile", "--bundle", bundle.toString(), "--batches", "1",
                "--batch-size", "8", "--path-points", "0", "--elimination-step", "2", "--out", profile.toString(),
                "--data", data());
        assertThat(code).isZero();
    }

    private static String data() {
        return TestData.root().resolve("data/fashion-mnist").toString();
    }

    private static int run(StringWriter err, String... args) {
        CommandLine cli = ProfilerCli.commandLine();
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void validationChoiceIsRecordedInTheProfile() throws Exception {
        Path out = dir.resolve("validation");
        StringWriter err = new StringWriter();
        int code = run(err, "evaluate", "--bundle", bundle.toString(), "--profile", profile.toString(),
                "--split", "validation", "--limit", "64", "--scores", "ablation-iterative,frequency,weight-norm",
                "--keeps", "0.5", "--no-prior", "--taus", "0.7", "--cascade-score", "ablation-iterative",
                "--record-choice", "--data", data(), "--out", out.toString());
        assertThat(code).as(err.toString()).isZero();

        UtilityProfile.ValidationChoice choice = UtilityProfile.read(profile).validationChoice();
        assertThat(choice).isNotNull();
        assertThat(choice.meanMaskedAccuracy()).containsOnlyKeys("ablation-iterative", "frequency", "weight-norm");
        double best = choice.meanMaskedAccuracy().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertThat(choice.meanMaskedAccuracy().get(choice.score())).isEqualTo(best);
        assertThat(choice.split()).contains("55,000");
        assertThat(choice.keepRatios()).isEqualTo(List.of(0.5));
        assertThat(choice.bundles()).isEqualTo(List.of("tiny"));
        assertThat(Files.readString(out.resolve("validation-choice.json"))).contains(choice.score());
        assertThat(UtilityProfile.read(profile).scoreNames()).as("scores kept").contains("ablation-iterative");
    }

    @Test
    void recordingAChoiceOnTheTestSplitIsRejected() {
        StringWriter err = new StringWriter();
        int code = run(err, "evaluate", "--bundle", bundle.toString(), "--profile", profile.toString(),
                "--record-choice", "--data", data(), "--out", dir.resolve("test").toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("--record-choice needs --split validation, got --split t10k");
    }
    @Test
    void profileCountMustMatchBundles() {
        StringWriter err = new StringWriter();
        int code = run(err, "evaluate", "--bundle", bundle.toString(), "--profile", profile + "," + profile,
                "--data", data(), "--out", dir.resolve("count").toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("one profile per --bundle").contains("got 2 profiles for 1 bundles");
    }

    @Test
    void missingScoreIsNamedWithItsProfile() {
        StringWriter err = new StringWriter();
        int code = run(err, "evaluate", "--bundle", bundle.toString(), "--profile", profile.toString(),
                "--scores", "agf-path", "--data", data(), "--out", dir.resolve("missing").toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("profile " + profile).contains("has no score [agf-path]");
    }

    @Test
    void choiceSkipsScoresMissingOnABundle() {
        List<ReportRow> rows = List.of(
                row("a", "frequency", 0.5, "masked", Double.NaN, 0.80),
                row("b", "frequency", 0.5, "masked", Double.NaN, 0.70),
                row("a", "ablation-iterative", 0.5, "masked", Double.NaN, 0.95),
                row("a", "gate-mass", 1.0, "masked", Double.NaN, 0.99));

        ValidationChoice choice = ValidationChoice.of(rows);

        assertThat(choice.score()).isEqualTo("frequency");
        assertThat(choice.meanAccuracyByScore()).containsOnlyKeys("frequency");
        assertThat(choice.beta()).as("no agf-prior rows, so no beta").isNull();
    }

    @Test
    void choiceComparesBetaWithMasked() {
        List<ReportRow> rows = List.of(
                row("a", "agf", 0.5, "masked", Double.NaN, 0.80),
                row("a", "agf", 0.5, "agf-prior", 0.5, 0.82),
                row("a", "agf", 0.5, "agf-prior", 1.0, 0.79));

        assertThat(ValidationChoice.of(rows).beta()).isEqualTo(0.5);
    }

    @Test
    void choiceWithoutQualifyingScoreIsRejected() {
        List<ReportRow> rows = List.of(row("a", "random", 0.5, "masked", Double.NaN, 0.5));

        assertThatThrownBy(() -> ValidationChoice.of(rows))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a score other than random");
    }

    private static ReportRow row(String bundle, String score, double keep, String policy, double beta,
                                 double accuracy) {
        return new ReportRow(bundle, score, keep, "global", policy, beta, Double.NaN, accuracy, 0, 1, 8);
    }
}
