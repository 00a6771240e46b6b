package dev.moeserve.model.bundle;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a manifest against the rules of {@code docs/bundle-format.md} without reading the files it
 * lists. Every check raises {@link BundleException} naming the field, the rule and the value found.
 */
final class ManifestValidator {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /** A field of the manifest that names a file, such as {@code layers[0].gate}. */
    record FileReference(String field, String file) {
    }

    private final Checker checker;

    private ManifestValidator(Path dir) {
        this.checker = new Checker(dir);
    }

    /** Checks the whole manifest, including {@code files}. */
    static void validate(Path dir, Manifest manifest) {
        ManifestValidator validator = new ManifestValidator(dir);
        validator.validateStructure(manifest);
        validator.validateFiles(manifest);
    }

    /** Checks everything except {@code files}, which {@link BundleWriter} computes afterwards. */
    static void validateWithoutFiles(Path dir, Manifest manifest) {
        new ManifestValidator(dir).validateStructure(manifest);
    }

    /** Lists the fields that name files, in manifest order: trunk, then per layer gate and experts, then weights. */
    static List<FileReference> references(Manifest manifest) {
        List<FileReference> references = new ArrayList<>();
        for (int i = 0; i < manifest.trunk().size(); i++) {
            references.add(new FileReference("trunk[" + i + "].file", manifest.trunk().get(i).file()));
        }
        for (MoeLayerSpec layer : manifest.layers()) {
            String path = "layers[" + layer.index() + "]";
            references.add(new FileReference(path + ".gate", layer.gate()));
            for (Map.Entry<Integer, String> expert : layer.expertFiles().entrySet()) {
                references.add(new FileReference(
                        path + ".expertFiles[\"" + expert.getKey() + "\"]", expert.getValue()));
            }
        }
        references.add(new FileReference("weights", manifest.weights()));
        return references;
    }

    private void validateStructure(Manifest manifest) {
        if (!Manifest.FORMAT.equals(manifest.format())) {
            throw checker.fail("format must be \"%s\", got \"%s\"", Manifest.FORMAT, manifest.format());
        }
        checker.requireText(manifest.name(), "name");
        checker.requireText(manifest.version(), "version");
        checker.requireText(manifest.task(), "task");
        validateLabels(manifest.labels());
        validateInput(manifest.input());
        checker.requireAtLeast(manifest.tokens(), 1, "tokens");
        checker.requireAtLeast(manifest.width(), 1, "width");
        checker.requireAtLeast(manifest.opset(), 1, "opset");

        List<MoeLayerSpec> layers = manifest.layers();
        checker.requireNotNull(layers, "layers");
        if (layers.isEmpty()) {
            throw checker.fail("layers must list at least one MoE layer, got none");
        }
        LayerValidator layerValidator = new LayerValidator(checker);
        for (int i = 0; i < layers.size(); i++) {
            layerValidator.validate(layers.get(i), i, manifest.width());
        }

        List<TrunkSegment> trunk = manifest.trunk();
        checker.requireNotNull(trunk, "trunk");
        if (trunk.size() != layers.size() + 1) {
            throw checker.fail("trunk must have %d segments (one more than the %d MoE layers), got %d",
                    layers.size() + 1, layers.size(), trunk.size());
        }
        for (int i = 0; i < trunk.size(); i++) {
            checker.requireNotNull(trunk.get(i), "trunk[" + i + "]");
            checker.requirePath(trunk.get(i).file(), "trunk[" + i + "].file");
        }
        checker.requirePath(manifest.weights(), "weights");
        validateAccuracy(manifest.accuracy());
        if (manifest.reducedFrom() != null) {
            validateReducedFrom(manifest.reducedFrom());
        }
    }

    private void validateLabels(List<String> labels) {
        checker.requireNotNull(labels, "labels");
        if (labels.isEmpty()) {
            throw checker.fail("labels must list at least one class, got none");
        }
        for (int i = 0; i < labels.size(); i++) {
            checker.requireText(labels.get(i), "labels[" + i + "]");
        }
    }

    private void validateInput(TensorSpec input) {
        checker.requireNotNull(input, "input");
        checker.requireText(input.name(), "input.name");
        checker.requireText(input.datatype(), "input.datatype");
        checker.requireNotNull(input.shape(), "input.shape");
        if (input.shape().isEmpty()) {
            throw checker.fail("input.shape must have at least one dimension, got []");
        }
        for (int i = 0; i < input.shape().size(); i++) {
            Long dimension = input.shape().get(i);
            if (dimension == null || (dimension != -1 && dimension < 1)) {
                throw checker.fail("input.shape[%d] must be -1 (any size) or at least 1, got %s", i, dimension);
            }
        }
    }

    private void validateAccuracy(Accuracy accuracy) {
        checker.requireNotNull(accuracy, "accuracy");
        checker.requireText(accuracy.split(), "accuracy.split");
        checker.requireAtLeast(accuracy.images(), 1, "accuracy.images");
        if (!(accuracy.value() >= 0 && accuracy.value() <= 1)) {
            throw checker.fail("accuracy.value must be between 0 and 1, got %s", accuracy.value());
        }
    }

    private void validateReducedFrom(ReducedFrom reducedFrom) {
        checker.requireText(reducedFrom.name(), "reducedFrom.name");
        checker.requireText(reducedFrom.version(), "reducedFrom.version");
        checker.requireText(reducedFrom.score(), "reducedFrom.score");
        if (!(reducedFrom.keepRatio() > 0 && reducedFrom.keepRatio() <= 1)) {
            throw checker.fail("reducedFrom.keepRatio must be greater than 0 and at most 1, got %s",
                    reducedFrom.keepRatio());
        }
        if (reducedFrom.budget() != null) {
            if (!reducedFrom.budget().equals("per-layer") && !reducedFrom.budget().equals("global")) {
                throw checker.fail("reducedFrom.budget must be per-layer or global, got '%s'", reducedFrom.budget());
            }
        }
    }

    private void validateFiles(Manifest manifest) {
        checker.requireNotNull(manifest.files(), "files");
        for (Map.Entry<String, FileEntry> entry : manifest.files().entrySet()) {
            String field = "files" + ManifestJson.fieldSuffix(false, entry.getKey());
            String problem = RelativePaths.problem(entry.getKey());
            if (problem != null) {
                throw checker.fail("files key %s", problem);
            }
            if (entry.getKey().equals(Bundle.MANIFEST_FILE)) {
                throw checker.fail("files must not list %s, which cannot contain its own checksum",
                        Bundle.MANIFEST_FILE);
            }
            FileEntry file = entry.getValue();
            checker.requireNotNull(file, field);
            if (file.sha256() == null || !SHA256_HEX.matcher(file.sha256()).matches()) {
                throw checker.fail("%s.sha256 must be 64 lower-case hex digits, got \"%s\"", field, file.sha256());
            }
            checker.requireAtLeast(file.bytes(), 0, field + ".bytes");
            checker.requireAtLeast(file.parameters(), 0, field + ".parameters");
        }
        for (FileReference reference : references(manifest)) {
            if (!manifest.files().containsKey(reference.file())) {
                throw checker.fail("%s names \"%s\", which is not listed in files",
                        reference.field(), reference.file());
            }
        }
    }
}
