package dev.moeserve.model.bundle;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BundleAccessTest {

    @TempDir
    Path dir;

    Bundle bundle;

    @BeforeEach
    void openReducedBundle() throws IOException {
        TestBundles.writeReduced(dir);
        bundle = Bundle.open(dir);
    }

    @Test
    void expertFileResolvesKeptExpert() {
        assertThat(bundle.expertFile(1, 3)).isEqualTo(bundle.directory().resolve("experts/layer1/expert3.onnx"));
        assertThat(bundle.expertFile(0, 1)).exists();
    }

    @Test
    void expertFileRejectsExpertOutsidePool() {
        assertThatThrownBy(() -> bundle.expertFile(1, 1))
                .isInstanceOf(BundleException.class)
                .hasMessageEndingWith(": layers[1] has no file for expert 1 because its pool keeps [0, 2, 3]");
    }

    @Test
    void expertFileRejectsMissingLayer() {
        assertThatThrownBy(() -> bundle.expertFile(2, 0))
                .isInstanceOf(BundleException.class)
                .hasMessageEndingWith(": MoE layer 2 does not exist: the bundle has layers 0 to 1");
    }

    @Test
    void gateAndSegmentFilesResolve() {
        assertThat(bundle.gateFile(1)).isEqualTo(bundle.directory().resolve("gates/layer1.onnx"));
        assertThat(bundle.segmentFile(2)).isEqualTo(bundle.directory().resolve("trunk/segment2.onnx"));
        assertThatThrownBy(() -> bundle.segmentFile(3))
                .isInstanceOf(BundleException.class)
                .hasMessageEndingWith(": trunk segment 3 does not exist: the bundle has segments 0 to 2");
    }

    @Test
    void readBytesReturnsFileContent() throws IOException {
        byte[] expected = Files.readAllBytes(dir.resolve("weights.safetensors"));

        assertThat(bundle.readBytes("weights.safetensors")).isEqualTo(expected);
    }

    @Test
    void resolveRejectsPathsOutsideBundle() {
        assertThatThrownBy(() -> bundle.resolve("../manifest.json"))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("\"../manifest.json\"");
        assertThatThrownBy(() -> bundle.resolve("/etc/passwd"))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("must be a relative path");
    }

    @Test
    void manifestLayerRejectsMissingIndex() {
        assertThatThrownBy(() -> bundle.manifest().layer(5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("MoE layer 5 does not exist: the manifest has layers 0 to 1");
    }

    @Test
    void keptExpertsFallsBackToAllExperts() {
        MoeLayerSpec full = bundle.manifest().layer(0);

        assertThat(full.pool()).isNull();
        assertThat(full.keptExperts()).containsExactly(0, 1, 2, 3);
        assertThat(full.keeps(3)).isTrue();
        assertThat(full.keeps(4)).isFalse();
        assertThat(bundle.manifest().layer(1).keeps(1)).isFalse();
    }

    @Test
    void manifestCollectionsAreImmutable() {
        Manifest manifest = bundle.manifest();

        assertThatThrownBy(() -> manifest.layers().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> manifest.files().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> manifest.layer(1).pool().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> manifest.layer(1).expertFiles().clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
