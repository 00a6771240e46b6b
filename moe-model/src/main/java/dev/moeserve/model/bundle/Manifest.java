package dev.moeserve.model.bundle;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Content of {@code manifest.json}, the description of a bundle (see {@code docs/bundle-format.md}).
 *
 * <p>Null fields are written as JSON {@code null}, so every field of the format is present in a written
 * manifest. Only {@code layers[].pool}, {@code layers[].prior}, {@code reducedFrom} and
 * {@code reducedFrom.budget} and {@code architecture} may be null in a valid bundle, and the reader also accepts them absent.
 * The constructor copies collections but does not validate, because {@link Bundle#open} and
 * {@link BundleWriter#write} do that and name the invalid field.
 *
 * @param format      format identifier, always {@value #FORMAT}
 * @param name        model name
 * @param version     model version
 * @param task        task of the model, for example {@code image-classification}
 * @param labels      class labels in the order of the logits
 * @param input       the input tensor of the first trunk segment
 * @param tokens      tokens per image T
 * @param width       model width d
 * @param opset       ONNX opset of all graphs
 * @param trunk       trunk segments 0 to L, one more than there are MoE layers
 * @param layers      MoE layers 0 to L - 1
 * @param weights     file with all parameters (safetensors), relative to the bundle folder
 * @param files       every file of the bundle except {@code manifest.json}, by relative path
 * @param accuracy    measured accuracy
 * @param reducedFrom origin of a reduced bundle, or null for a full bundle
 * @param architecture hyperparameters that rebuild the model definition from the weights (for the reference
 *                     ViT-MoE: {@code heads}, {@code patch}, {@code stemChannels}, {@code expertHidden},
 *                     {@code classes}), or null
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"format", "name", "version", "task", "labels", "input", "tokens", "width", "opset",
        "trunk", "layers", "weights", "files", "accuracy", "reducedFrom", "architecture"})
public record Manifest(String format, String name, String version, String task, List<String> labels,
                       TensorSpec input, int tokens, int width, int opset,
                       List<TrunkSegment> trunk, List<MoeLayerSpec> layers, String weights,
                       SortedMap<String, FileEntry> files, Accuracy accuracy, ReducedFrom reducedFrom,
                       SortedMap<String, Integer> architecture) {

    /** Value of {@code format} for this version of the bundle format. */
    public static final String FORMAT = "moe-bundle/1";

    public Manifest {
        labels = labels == null ? null : Collections.unmodifiableList(new ArrayList<>(labels));
        trunk = trunk == null ? null : Collections.unmodifiableList(new ArrayList<>(trunk));
        layers = layers == null ? null : Collections.unmodifiableList(new ArrayList<>(layers));
        files = files == null ? null : Collections.unmodifiableSortedMap(new TreeMap<>(files));
        architecture = architecture == null ? null : Collections.unmodifiableSortedMap(new TreeMap<>(architecture));
    }

    /** Returns a copy with {@code files} replaced. */
    public Manifest withFiles(SortedMap<String, FileEntry> newFiles) {
        return new Manifest(format, name, version, task, labels, input, tokens, width, opset,
                trunk, layers, weights, newFiles, accuracy, reducedFrom, architecture);
    }

    /**
     * Returns MoE layer {@code index}.
     *
     * @throws IllegalArgumentException when the manifest has no such layer
     */
    public MoeLayerSpec layer(int index) {
        if (index < 0 || index >= layers.size()) {
            throw new IllegalArgumentException(
                    "MoE layer " + index + " does not exist: the manifest has layers 0 to " + (layers.size() - 1));
        }
        return layers.get(index);
    }

    /**
     * Returns the {@code files} entry of {@code relativePath}.
     *
     * @throws IllegalArgumentException when {@code files} does not list the path
     */
    public FileEntry file(String relativePath) {
        FileEntry entry = files == null ? null : files.get(relativePath);
        if (entry == null) {
            throw new IllegalArgumentException("file " + relativePath + " is not listed in the manifest's files");
        }
        return entry;
    }

    /** Returns whether this is a reduced bundle: {@code reducedFrom} is set or some layer has a pool. */
    @JsonIgnore
    public boolean isReduced() {
        return reducedFrom != null || layers.stream().anyMatch(MoeLayerSpec::isReduced);
    }

    /** Returns the parameters of all kept experts of all layers, from {@code files}. */
    public long expertParameters() {
        long sum = 0;
        for (MoeLayerSpec layer : layers) {
            for (String path : layer.expertFiles().values()) {
                sum += file(path).parameters();
            }
        }
        return sum;
    }

    /** Returns the size in bytes of all expert files of all layers, from {@code files}. */
    public long expertBytes() {
        long sum = 0;
        for (MoeLayerSpec layer : layers) {
            for (String path : layer.expertFiles().values()) {
                sum += file(path).bytes();
            }
        }
        return sum;
    }

    /** Returns the size in bytes of all files listed in {@code files}, without {@code manifest.json}. */
    public long totalBytes() {
        return files.values().stream().mapToLong(FileEntry::bytes).sum();
    }
}
