package dev.moeserve.model.bundle;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BundleWriterTest {

    @TempDir
    Path dir;

    @Test
    void missingReferencedFileIsReported() throws IOException {
        Manifest manifest = TestBundles.manifest(TestBundles.layers(null, null), null);
        TestBundles.writeFakeFile(dir, "weights.safetensors");

        assertThatThrownBy(() -> BundleWriter.write(dir, manifest, Map.of()))
                .isInstanceOf(BundleException.class)
                .hasMessageEndingWith(": trunk/segment0.onnx is referenced by the manifest but not found at "
                        + dir.toAbsolutePath().normalize().resolve("trunk/segment0.onnx"));
    }

    @Test
    void unknownParameterKeyIsRejected() {
        Manifest manifest = TestBundles.manifest(TestBundles.layers(null, null), null);

        assertThatThrownBy(() -> BundleWriter.write(dir, manifest, Map.of("gates/layer9.onnx", 5L)))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("parameters lists \"gates/layer9.onnx\", which the manifest does not reference");
    }

    @Test
    void invalidManifestIsNotWritten() {
        Manifest manifest = TestBundles.manifest(TestBundles.layers(List.of(0, 2, 3), List.of(1.0, 0.0)), null);

        assertThatThrownBy(() -> BundleWriter.write(dir, manifest, Map.of()))
                .isInstanceOf(BundleException.class)
                .hasMessageEndingWith(": layers[1].prior must have 4 entries, one per expert, got 2");
        assertThatThrownBy(() -> Bundle.open(dir)).hasMessageContaining("manifest.json not found");
    }

    @Test
    void negativeParameterCountIsRejected() throws IOException {
        Manifest manifest = TestBundles.manifest(TestBundles.layers(null, null), null);
        for (ManifestValidator.FileReference reference : ManifestValidator.references(manifest)) {
            TestBundles.writeFakeFile(dir, reference.file());
        }

        assertThatThrownBy(() -> BundleWriter.write(dir, manifest, Map.of("weights.safetensors", -1L)))
                .isInstanceOf(BundleException.class)
                .hasMessageEndingWith(": files[\"weights.safetensors\"].parameters must be at least 0, got -1");
    }
}
