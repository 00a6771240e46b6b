package dev.moeserve.profiler.cli;

import ai.djl.ndarray.NDManager;
import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.profiler.bundle.BundleExporter;
import dev.moeserve.profiler.model.DjlRuntime;
import dev.moeserve.profiler.model.VitMoe;
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

/** Bad arguments of {@code moe profile} end with one clear line and exit code 1, or a usage error. */
class ProfileCommandTest {

    private static final VitMoeConfig TINY = new VitMoeConfig(4, 7, 16, 2, 2, 4, 2, 16, 10);

    @TempDir
    static Path dir;
    private static Path full;
    private static Path reduced;

    @BeforeAll
    static void writeBundles() throws Exception {
        DjlRuntime.configure();
        full = dir.resolve("tiny");
        reduced = dir.resolve("tiny-keep50");
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = VitMoe.initialise(manager, TINY, 1);
            Accuracy accuracy = new Accuracy("none", 1, 0.1);
            BundleExporter.export(model, full, new BundleExporter.Options("tiny", "1", accuracy, null, null, null));
            List<List<Integer>> pools = List.of(List.of(0, 1), List.of(2, 3));
            BundleExporter.export(model, reduced, new BundleExporter.Options("tiny-keep50", "1", accuracy, pools,
                    null, new dev.moeserve.model.bundle.ReducedFrom("tiny", "1", "agf", 0.5, "per-layer")));
        }
    }

    private static String data() {
        return dev.moeserve.profiler.TestData.root().resolve("data/fashion-mnist").toString();
    }

    private record Run(int exitCode, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = ProfilerCli.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        int code = cli.execute(args);
        return new Run(code, err.toString());
    }

    @Test
    void keepRatioOutsideRangeIsRejected() {
        Run run = run("profile", "--bundle", full.toString(), "--keep", "1.5", "--batches", "1");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--keep must be in (0, 1], got 1.5");
    }

    @Test
    void zeroKeepRatioIsRejected() {
        Run run = run("profile", "--bundle", full.toString(), "--keep", "0", "--batches", "1");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--keep must be in (0, 1], got 0.0");
    }

    @Test
    void missingBundleIsNamed() {
        Path missing = dir.resolve("no-such-bundle");
        Run run = run("profile", "--bundle", missing.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains(missing.toString()).contains("not found");
    }

    @Test
    void reducedBundleIsRejected() {
        Run run = run("profile", "--bundle", reduced.toString(), "--batches", "1", "--data", data(), "--out",
                dir.resolve("p.json").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("reduced pool").contains("full bundle");
    }

    @Test
    void calibrationLargerThanDataIsRejected() {
        Run run = run("profile", "--bundle", full.toString(), "--batches", "100", "--batch-size", "64",
                "--data", dev.moeserve.profiler.TestData.root().resolve("data/fashion-mnist").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("6400 images").contains("only 4096");
    }

    @Test
    void unknownScoreIsRejected() {
        Run run = run("profile", "--bundle", full.toString(), "--score", "magic");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("score must be one of").contains("got 'magic'");
    }

    @Test
    void profileWritesReducedBundle() throws Exception {
        Path pool = dir.resolve("written-pool");
        Path profile = dir.resolve("written-profile.json");
        Run run = run("profile", "--bundle", full.toString(), "--batches", "1", "--batch-size", "8",
                "--path-points", "1", "--path-batches", "1", "--keep", "0.5", "--pool-out", pool.toString(),
                "--out", profile.toString(),
                "--data", dev.moeserve.profiler.TestData.root().resolve("data/fashion-mnist").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Files.isRegularFile(profile)).isTrue();
        dev.moeserve.model.bundle.Bundle bundle = dev.moeserve.model.bundle.Bundle.open(pool);
        assertThat(bundle.manifest().isReduced()).isTrue();
        assertThat(bundle.manifest().layer(0).keptExperts()).hasSize(2);
        assertThat(bundle.manifest().layer(0).prior()).hasSize(4);
        try (var files = Files.list(pool.resolve("experts/layer0"))) {
            assertThat(files.count()).as("only kept experts' files").isEqualTo(2);
        }
    }
    @Test
    void negativeEliminationStepIsRejected() {
        Run run = run("profile", "--bundle", full.toString(), "--elimination-step", "-1", "--data", data());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("elimination step (--elimination-step) must be at least 0, got -1");
    }

    @Test
    void poolByASkippedScoreIsRejectedBeforeProfiling() {
        Run run = run("profile", "--bundle", full.toString(), "--keep", "0.5", "--elimination-step", "0",
                "--data", data());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--score ablation-iterative chooses the pool, but --elimination-step 0 skips"
                + " computing it");
    }

    @Test
    void reuseReprofilesWithoutChosenScore() throws Exception {
        Path profile = dir.resolve("without-elimination.json");
        Run first = run("profile", "--bundle", full.toString(), "--batches", "1", "--batch-size", "8",
                "--path-points", "0", "--elimination-step", "0", "--out", profile.toString(), "--data", data());
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(dev.moeserve.profiler.agf.UtilityProfile.read(profile).scoreNames())
                .doesNotContain("ablation-iterative");

        Path pool = dir.resolve("eliminated-pool");
        Run second = run("profile", "--bundle", full.toString(), "--batches", "1", "--batch-size", "8",
                "--path-points", "0", "--elimination-step", "2", "--reuse", "--score", "ablation-iterative",
                "--keep", "0.5", "--pool-out", pool.toString(), "--out", profile.toString(), "--data", data());
        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(dev.moeserve.profiler.agf.UtilityProfile.read(profile).scoreNames()).contains("ablation-iterative");
        assertThat(dev.moeserve.model.bundle.Bundle.open(pool).manifest().reducedFrom().score())
                .isEqualTo("ablation-iterative");
    }
    @Test
    void everySubcommandPrintsHelp() {
        for (String command : List.of("train", "profile", "evaluate")) {
            CommandLine cli = ProfilerCli.commandLine();
            StringWriter out = new StringWriter();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(new StringWriter()));

            int code = cli.execute(command, "--help");

            assertThat(code).as(command + " --help exit code").isZero();
            assertThat(out.toString()).as(command + " --help").contains("Usage: moe " + command);
        }
    }
    @Test
    void poolOverProfiledBundleIsRejectedFirst() {
        Path profile = dir.resolve("never-written.json");
        Run run = run("profile", "--bundle", full.toString(), "--keep", "0.5", "--pool-out", full.toString(),
                "--out", profile.toString(), "--data", data());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("is the bundle being profiled");
        assertThat(profile).as("rejected before profiling").doesNotExist();
    }

    @Test
    void poolOverFullBundleIsRejected() throws Exception {
        Path other = dir.resolve("other-full");
        try (NDManager manager = NDManager.newBaseManager()) {
            BundleExporter.export(VitMoe.initialise(manager, TINY, 2), other,
                    new BundleExporter.Options("other", "1", new Accuracy("none", 1, 0.1), null, null, null));
        }
        Run run = run("profile", "--bundle", full.toString(), "--keep", "0.5", "--pool-out", other.toString(),
                "--data", data());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("a full model bundle");
        assertThat(dev.moeserve.model.bundle.Bundle.open(other).manifest().isReduced()).isFalse();
    }

    @Test
    void poolOverForeignFolderIsRejectedFirst() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("project"));
        Files.writeString(folder.resolve("notes.txt"), "keep me");
        Path profile = dir.resolve("not-written-either.json");
        Run run = run("profile", "--bundle", full.toString(), "--keep", "0.5", "--pool-out", folder.toString(),
                "--out", profile.toString(), "--data", data());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("neither empty nor a bundle");
        assertThat(profile).doesNotExist();
        assertThat(Files.readString(folder.resolve("notes.txt"))).isEqualTo("keep me");
    }

    @Test
    void reusedProfileRecordsNewSelection() throws Exception {
        Path profile = dir.resolve("selection.json");
        Run first = run("profile", "--bundle", full.toString(), "--batches", "1", "--batch-size", "8",
                "--path-points", "0", "--elimination-step", "2", "--out", profile.toString(), "--data", data());
        assertThat(first.exitCode()).as(first.err()).isZero();

        Run second = run("profile", "--bundle", full.toString(), "--reuse", "--score", "frequency", "--keep", "0.5",
                "--budget", "per-layer", "--pool-out", dir.resolve("frequency-pool").toString(),
                "--out", profile.toString(), "--data", data());
        assertThat(second.exitCode()).as(second.err()).isZero();

        dev.moeserve.profiler.agf.UtilityProfile written = dev.moeserve.profiler.agf.UtilityProfile.read(profile);
        assertThat(written.selection()).isEqualTo(
                new dev.moeserve.profiler.agf.UtilityProfile.Selection("frequency", 0.5, "per-layer"));
        List<Integer> kept = written.layers().get(0).experts().stream()
                .filter(dev.moeserve.profiler.agf.UtilityProfile.Expert::kept)
                .map(dev.moeserve.profiler.agf.UtilityProfile.Expert::index).toList();
        assertThat(kept).isEqualTo(dev.moeserve.model.bundle.Bundle.open(dir.resolve("frequency-pool")).manifest()
                .layer(0).keptExperts());
    }

    @Test
    void hugeEliminationStepRunsOneRound() {
        Path profile = dir.resolve("huge-step.json");
        Run run = run("profile", "--bundle", full.toString(), "--batches", "1", "--batch-size", "8",
                "--path-points", "0", "--elimination-step", "2147483647", "--out", profile.toString(),
                "--data", data());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(profile).exists();
    }
}
