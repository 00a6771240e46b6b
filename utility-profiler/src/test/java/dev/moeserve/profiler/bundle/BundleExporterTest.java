package dev.moeserve.profiler.bundle;

import ai.djl.ndarray.NDManager;
import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.ReducedFrom;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.profiler.model.DjlRuntime;
import dev.moeserve.profiler.model.VitMoe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BundleExporterTest {

    private static final VitMoeConfig TINY = new VitMoeConfig(4, 7, 16, 2, 2, 4, 2, 16, 10);
    private static final Accuracy NONE = new Accuracy("none", 1, 0.1);

    @TempDir
    Path dir;

    private static BundleExporter.Options pool(List<List<Integer>> pools) {
        return new BundleExporter.Options("tiny-keep50", "1", NONE, pools, null,
                new ReducedFrom("tiny", "1", "frequency", 0.5, "per-layer"));
    }

    @Test
    void exportReplacesOldPoolFiles() throws Exception {
        DjlRuntime.configure();
        Path target = dir.resolve("pool");
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = VitMoe.initialise(manager, TINY, 1);
            BundleExporter.export(model, target, pool(List.of(List.of(0, 1), List.of(0, 1))));
            BundleExporter.export(model, target, pool(List.of(List.of(2, 3), List.of(1, 2))));
        }
        try (Stream<Path> files = Files.list(target.resolve("experts/layer0"))) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .isEqualTo(List.of("expert2.onnx", "expert3.onnx"));
        }
        assertThat(Bundle.open(target).manifest().layer(1).keptExperts()).isEqualTo(List.of(1, 2));
        try (Stream<Path> siblings = Files.list(dir)) {
            assertThat(siblings.map(p -> p.getFileName().toString()).toList()).as("no staging folder left")
                    .isEqualTo(List.of("pool"));
        }
    }

    @Test
    void exportRejectsNonBundleFolder() throws Exception {
        DjlRuntime.configure();
        Path target = Files.createDirectories(dir.resolve("notes"));
        Files.writeString(target.resolve("todo.txt"), "keep me");
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = VitMoe.initialise(manager, TINY, 1);
            assertThatThrownBy(() -> BundleExporter.export(model, target, pool(List.of(List.of(0, 1), List.of(0, 1)))))
                    .hasMessageContaining("refusing to replace").hasMessageContaining("neither empty nor a bundle");
        }
        assertThat(Files.readString(target.resolve("todo.txt"))).isEqualTo("keep me");
    }
    @Test
    void checkTellsBundleKinds() throws Exception {
        DjlRuntime.configure();
        Path full = dir.resolve("full");
        Path reduced = dir.resolve("reduced");
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = VitMoe.initialise(manager, TINY, 1);
            BundleExporter.export(model, full, new BundleExporter.Options("tiny", "1", NONE, null, null, null));
            BundleExporter.export(model, reduced, pool(List.of(List.of(0, 1), List.of(0, 1))));
        }
        assertThat(BundleExporter.checkReplaceable(dir.resolve("absent"))).isEqualTo(BundleExporter.Existing.NOTHING);
        assertThat(BundleExporter.checkReplaceable(Files.createDirectories(dir.resolve("empty"))))
                .isEqualTo(BundleExporter.Existing.EMPTY);
        assertThat(BundleExporter.checkReplaceable(full)).isEqualTo(BundleExporter.Existing.FULL_BUNDLE);
        assertThat(BundleExporter.checkReplaceable(reduced)).isEqualTo(BundleExporter.Existing.REDUCED_BUNDLE);
    }

    @Test
    void checkRejectsFolderWithForeignManifest() throws Exception {
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.writeString(app.resolve("manifest.json"), "{\"name\": \"my web app\"}");

        assertThatThrownBy(() -> BundleExporter.checkReplaceable(app))
                .hasMessageContaining("neither empty nor a bundle").hasMessageContaining("moe-bundle/1");
    }

    @Test
    void checkRejectsFileAndSymbolicLink() throws Exception {
        Path file = Files.writeString(dir.resolve("afile"), "text");
        Path link = Files.createSymbolicLink(dir.resolve("link"), Files.createDirectories(dir.resolve("real")));

        assertThatThrownBy(() -> BundleExporter.checkReplaceable(file)).hasMessageContaining("is a file");
        assertThatThrownBy(() -> BundleExporter.checkReplaceable(link)).hasMessageContaining("symbolic link");
    }

    @Test
    void exportKeepsFoldersNamedLikeItsOwn() throws Exception {
        DjlRuntime.configure();
        Path writing = Files.createDirectories(dir.resolve("pool.writing"));
        Path replaced = Files.createDirectories(dir.resolve("pool.replaced"));
        Files.writeString(writing.resolve("data.txt"), "keep me");
        Files.writeString(replaced.resolve("data.txt"), "keep me too");
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = VitMoe.initialise(manager, TINY, 1);
            BundleExporter.export(model, dir.resolve("pool"), pool(List.of(List.of(0, 1), List.of(0, 1))));
            BundleExporter.export(model, dir.resolve("pool"), pool(List.of(List.of(2, 3), List.of(0, 1))));
        }
        assertThat(Files.readString(writing.resolve("data.txt"))).isEqualTo("keep me");
        assertThat(Files.readString(replaced.resolve("data.txt"))).isEqualTo("keep me too");
    }
}
