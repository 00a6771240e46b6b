package dev.moeserve.model.bundle;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Each test corrupts one aspect of a valid bundle and checks that {@link Bundle#open} names it. */
class BundleValidationTest {

    @TempDir
    Path dir;

    @BeforeEach
    void writeValidBundle() throws IOException {
        TestBundles.writeReduced(dir);
    }

    private String openError() {
        Throwable thrown = catchThrowable(() -> Bundle.open(dir));
        assertThat(thrown).isInstanceOf(BundleException.class);
        String message = thrown.getMessage();
        assertThat(message).startsWith("bundle " + dir.toAbsolutePath().normalize() + ": ");
        return message;
    }

    @Test
    void missingFileIsNamed() throws IOException {
        Files.delete(dir.resolve("experts/layer0/expert2.onnx"));

        assertThat(openError()).contains("experts/layer0/expert2.onnx is listed in files but not found");
    }

    @Test
    void wrongHashNamesExpectedAndFound() throws IOException {
        Path file = dir.resolve("gates/layer1.onnx");
        String expected = Sha256.of(file);
        byte[] content = Files.readAllBytes(file);
        content[0] ^= 1;
        Files.write(file, content);

        String message = openError();

        assertThat(message).contains("files[\"gates/layer1.onnx\"].sha256 does not match the file");
        assertThat(message).contains("expected " + expected);
        assertThat(message).contains("found " + Sha256.of(file));
    }

    @Test
    void wrongSizeNamesExpectedAndFound() throws IOException {
        Path file = dir.resolve("trunk/segment2.onnx");
        long size = Files.size(file);
        Files.writeString(file, "x", StandardOpenOption.APPEND);

        assertThat(openError()).contains("files[\"trunk/segment2.onnx\"].bytes does not match the file: expected "
                + size + ", found " + (size + 1));
    }

    @Test
    void invalidJsonNamesFileAndLocation() throws IOException {
        Files.writeString(dir.resolve(Bundle.MANIFEST_FILE), "{\n  \"format\": \"moe-bundle/1\",\n  }\n");

        String message = openError();

        assertThat(message).contains("manifest.json is not valid JSON (line 3, column 3)");
    }

    @Test
    void missingManifestFile() throws IOException {
        Files.delete(dir.resolve(Bundle.MANIFEST_FILE));

        assertThat(openError()).contains("manifest.json not found at");
    }

    @Test
    void missingRequiredFieldNamesPath() throws IOException {
        TestBundles.editManifest(dir, root -> TestBundles.layer(root, 1).remove("topK"));

        assertThat(openError()).endsWith(": layers[1].topK is missing");
    }

    @Test
    void nullRequiredFieldNamesPath() throws IOException {
        TestBundles.editManifest(dir, root -> ((ObjectNode) root.get("accuracy")).putNull("images"));

        assertThat(openError()).endsWith(": accuracy.images must not be null");
    }

    @Test
    void missingFileEntryFieldNamesPath() throws IOException {
        TestBundles.editManifest(dir, root -> ((ObjectNode) root.get("files").get("weights.safetensors"))
                .remove("sha256"));

        assertThat(openError()).endsWith(": files[\"weights.safetensors\"].sha256 is missing");
    }

    @Test
    void stringWhereNumberBelongsIsRejected() throws IOException {
        TestBundles.editManifest(dir, root -> TestBundles.layer(root, 0).put("topK", "2"));

        assertThat(openError()).contains("manifest.json: layers[0].topK is invalid (line ");
    }

    @Test
    void numberWhereStringBelongsIsRejected() throws IOException {
        TestBundles.editManifest(dir, root -> TestBundles.layer(root, 1).put("gate", 7));

        String message = openError();

        assertThat(message).contains("manifest.json: layers[1].gate is invalid (line ");
        assertThat(message).endsWith("Cannot coerce Integer value (7) to `java.lang.String` value");
    }

    @Test
    void unknownFieldIsRejected() throws IOException {
        TestBundles.editManifest(dir, root -> TestBundles.layer(root, 0).put("topk", 2));

        assertThat(openError()).contains("manifest.json: layers[0].topk is not a field of moe-bundle/1");
    }

    @Test
    void topKLargerThanExperts() throws IOException {
        TestBundles.editManifest(dir, root -> TestBundles.layer(root, 0).put("topK", 20));

        assertThat(openError()).endsWith(": layers[0].topK must be between 1 and 4, got 20");
    }

    @Test
    void keptIndexThatDoesNotExist() throws IOException {
        TestBundles.editManifest(dir, root -> ((ArrayNode) TestBundles.layer(root, 1).get("pool")).set(2, 4));

        assertThat(openError()).endsWith(": layers[1].pool[2] must be between 0 and 3, got 4");
    }

    @Test
    void duplicateKeptIndex() throws IOException {
        TestBundles.editManifest(dir, root -> ((ArrayNode) TestBundles.layer(root, 1).get("pool")).set(2, 2));

        assertThat(openError()).endsWith(": layers[1].pool[2] repeats expert 2, but each kept expert must be listed once");
    }

    @Test
    void unsortedPool() throws IOException {
        TestBundles.editManifest(dir, root -> {
            ArrayNode pool = (ArrayNode) TestBundles.layer(root, 1).get("pool");
            pool.set(0, 3);
            pool.set(2, 0);
        });

        assertThat(openError()).endsWith(": layers[1].pool must be sorted in ascending order, got 2 after 3");
    }

    @Test
    void poolSmallerThanTopK() throws IOException {
        TestBundles.editManifest(dir, root -> {
            ObjectNode layer = TestBundles.layer(root, 1);
            layer.putArray("pool").add(2);
            ((ObjectNode) layer.get("expertFiles")).remove(List.of("0", "3"));
            layer.putNull("prior");
        });

        assertThat(openError()).endsWith(": layers[1].pool must keep at least topK = 2 experts, got 1");
    }

    @Test
    void expertFilesNotMatchingPool() throws IOException {
        TestBundles.editManifest(dir, root -> ((ObjectNode) TestBundles.layer(root, 1).get("expertFiles"))
                .put("1", "experts/layer0/expert1.onnx"));

        assertThat(openError()).endsWith(": layers[1].expertFiles keys must equal the pool [0, 2, 3], got [0, 1, 2, 3]");
    }

    @Test
    void expertFilesMissingExpertOfFullLayer() throws IOException {
        TestBundles.editManifest(dir, root -> ((ObjectNode) TestBundles.layer(root, 0).get("expertFiles"))
                .remove("3"));

        assertThat(openError()).endsWith(
                ": layers[0].expertFiles keys must equal all experts 0 to 3 because the pool is null, got [0, 1, 2]");
    }

    @Test
    void priorOfWrongLength() throws IOException {
        TestBundles.editManifest(dir, root -> ((ArrayNode) TestBundles.layer(root, 1).get("prior")).remove(3));

        assertThat(openError()).endsWith(": layers[1].prior must have 4 entries, one per expert, got 3");
    }

    @Test
    void negativePrior() throws IOException {
        TestBundles.editManifest(dir, root -> ((ArrayNode) TestBundles.layer(root, 1).get("prior")).set(2, -0.25));

        assertThat(openError()).endsWith(": layers[1].prior[2] must be a finite number >= 0, got -0.25");
    }

    @Test
    void priorOutsidePoolMustBeZero() throws IOException {
        TestBundles.editManifest(dir, root -> ((ArrayNode) TestBundles.layer(root, 1).get("prior")).set(1, 0.1));

        assertThat(openError()).endsWith(": layers[1].prior[1] must be 0 because expert 1 is not in the pool, got 0.1");
    }

    @Test
    void trunkSegmentCountWrong() throws IOException {
        TestBundles.editManifest(dir, root -> ((ArrayNode) root.get("trunk")).remove(2));

        assertThat(openError()).endsWith(": trunk must have 3 segments (one more than the 2 MoE layers), got 2");
    }

    @Test
    void layerIndexOutOfOrder() throws IOException {
        TestBundles.editManifest(dir, root -> TestBundles.layer(root, 1).put("index", 2));

        assertThat(openError()).endsWith(": layers[1].index must be 1 because layers are listed in order, got 2");
    }

    @Test
    void layerWidthDiffersFromModel() throws IOException {
        TestBundles.editManifest(dir, root -> TestBundles.layer(root, 0).put("width", 16));

        assertThat(openError()).endsWith(": layers[0].width must equal the model width 8, got 16");
    }

    @Test
    void fileNotListedInFiles() throws IOException {
        TestBundles.editManifest(dir, root -> ((ObjectNode) root.get("files")).remove("gates/layer1.onnx"));

        assertThat(openError()).endsWith(": layers[1].gate names \"gates/layer1.onnx\", which is not listed in files");
    }

    @Test
    void pathLeavingBundleIsRejected() throws IOException {
        TestBundles.editManifest(dir, root -> root.put("weights", "../weights.safetensors"));

        assertThat(openError()).contains(": weights must not contain empty, \".\" or \"..\" segments");
    }

    @Test
    void wrongFormatIsRejected() throws IOException {
        TestBundles.editManifest(dir, root -> root.put("format", "moe-bundle/2"));

        assertThat(openError()).endsWith(": format must be \"moe-bundle/1\", got \"moe-bundle/2\"");
    }

    @Test
    void invalidShaSyntaxIsRejected() throws IOException {
        TestBundles.editManifest(dir, root -> ((ObjectNode) root.get("files").get("weights.safetensors"))
                .put("sha256", "ABC"));

        assertThat(openError()).endsWith(
                ": files[\"weights.safetensors\"].sha256 must be 64 lower-case hex digits, got \"ABC\"");
    }

    @Test
    void accuracyAboveOneIsRejected() throws IOException {
        TestBundles.editManifest(dir, root -> ((ObjectNode) root.get("accuracy")).put("value", 1.5));

        assertThat(openError()).endsWith(": accuracy.value must be between 0 and 1, got 1.5");
    }

    @Test
    void missingFolderIsReported() {
        Path missing = dir.resolve("absent");

        assertThatThrownBy(() -> Bundle.open(missing))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("absent")
                .hasMessageContaining("bundle folder not found");
    }
}
