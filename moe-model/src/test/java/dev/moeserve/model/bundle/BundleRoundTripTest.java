package dev.moeserve.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BundleRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void fullBundleOpensAsWritten() throws IOException {
        Manifest written = TestBundles.writeFull(dir);

        Bundle bundle = Bundle.open(dir);

        assertThat(bundle.manifest()).isEqualTo(written);
        assertThat(bundle.directory()).isEqualTo(dir.toAbsolutePath().normalize());
        assertThat(bundle.manifest().isReduced()).isFalse();
        assertThat(bundle.manifest().layer(1).keptExperts()).containsExactly(0, 1, 2, 3);
    }

    @Test
    void reducedBundleOpensAsWritten() throws IOException {
        Manifest written = TestBundles.writeReduced(dir);

        Manifest opened = Bundle.open(dir).manifest();

        assertThat(opened).isEqualTo(written);
        assertThat(opened.isReduced()).isTrue();
        assertThat(opened.layer(0).isReduced()).isFalse();
        assertThat(opened.layer(1).keptExperts()).containsExactly(0, 2, 3);
        assertThat(opened.layer(1).priorArray()).containsExactly(0.5, 0.0, 0.25, 0.25);
        assertThat(opened.layer(0).priorArray()).isNull();
        assertThat(opened.reducedFrom().budget()).isEqualTo("per-layer");
    }

    @Test
    void filesListEveryReferencedFile() throws IOException {
        Manifest written = TestBundles.writeFull(dir);

        // 3 trunk segments, 2 gates, 8 experts and the weights.
        assertThat(written.files()).hasSize(14);
        FileEntry gate = written.file("gates/layer0.onnx");
        assertThat(gate.bytes()).isEqualTo(Files.size(dir.resolve("gates/layer0.onnx")));
        assertThat(gate.sha256()).isEqualTo(Sha256.of(dir.resolve("gates/layer0.onnx")));
        assertThat(gate.parameters()).isEqualTo(100);
        assertThat(written.file("weights.safetensors").parameters()).isZero();
    }

    @Test
    void expertTotalsSumExpertFiles() throws IOException {
        Manifest written = TestBundles.writeReduced(dir);

        long expectedBytes = 0;
        for (MoeLayerSpec layer : written.layers()) {
            for (String file : layer.expertFiles().values()) {
                expectedBytes += Files.size(dir.resolve(file));
            }
        }
        assertThat(written.expertParameters()).isEqualTo(7 * 640);
        assertThat(written.expertBytes()).isEqualTo(expectedBytes);
        assertThat(written.totalBytes()).isGreaterThan(expectedBytes);
    }

    @Test
    void manifestJsonKeepsFieldOrderAndNulls() throws IOException {
        TestBundles.writeFull(dir);

        JsonNode root = TestBundles.readTree(dir);

        assertThat(fieldNames(root)).containsExactly("format", "name", "version", "task", "labels", "input",
                "tokens", "width", "opset", "trunk", "layers", "weights", "files", "accuracy", "reducedFrom",
                "architecture");
        assertThat(fieldNames(root.get("layers").get(0))).containsExactly(
                "index", "width", "experts", "topK", "gate", "expertFiles", "pool", "prior");
        assertThat(fieldNames(root.get("input"))).containsExactly("name", "datatype", "shape");
        assertThat(fieldNames(root.get("files").get("weights.safetensors")))
                .containsExactly("sha256", "bytes", "parameters");
        assertThat(root.get("reducedFrom").isNull()).isTrue();
        assertThat(root.get("layers").get(0).get("pool").isNull()).isTrue();
        assertThat(root.get("layers").get(0).get("prior").isNull()).isTrue();
        assertThat(root.get("layers").get(0).get("expertFiles").get("3").asText())
                .isEqualTo("experts/layer0/expert3.onnx");
    }

    @Test
    void writerOutputIsStable() throws IOException {
        TestBundles.writeReduced(dir);
        String first = Files.readString(dir.resolve(Bundle.MANIFEST_FILE));

        BundleWriter.write(dir, Bundle.open(dir).manifest(), parametersOf(Bundle.open(dir).manifest()));

        assertThat(Files.readString(dir.resolve(Bundle.MANIFEST_FILE))).isEqualTo(first);
        assertThat(first).endsWith("}\n");
        assertThat(dir.resolve(Bundle.MANIFEST_FILE + ".tmp")).doesNotExist();
    }

    @Test
    void optionalFieldsMayBeAbsent() throws IOException {
        Manifest written = TestBundles.writeFull(dir);
        TestBundles.editManifest(dir, root -> {
            root.remove("reducedFrom");
            TestBundles.layer(root, 0).remove("pool");
            TestBundles.layer(root, 0).remove("prior");
        });

        assertThat(Bundle.open(dir).manifest()).isEqualTo(written);
    }

    @Test
    void integerJsonNumbersReadAsDoubles() throws IOException {
        TestBundles.writeReduced(dir);
        TestBundles.editManifest(dir, root -> {
            ((ObjectNode) root.get("accuracy")).put("value", 1);
            ((ObjectNode) root.get("reducedFrom")).put("keepRatio", 1);
        });

        Manifest opened = Bundle.open(dir).manifest();

        assertThat(opened.accuracy().value()).isEqualTo(1.0);
        assertThat(opened.reducedFrom().keepRatio()).isEqualTo(1.0);
        assertThat(opened.layer(1).prior().get(1)).isEqualTo(0.0);
    }

    private static Map<String, Long> parametersOf(Manifest manifest) {
        Map<String, Long> parameters = new HashMap<>();
        manifest.files().forEach((path, entry) -> parameters.put(path, entry.parameters()));
        return parameters;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
