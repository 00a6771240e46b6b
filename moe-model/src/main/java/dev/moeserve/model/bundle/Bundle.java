package dev.moeserve.model.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A verified bundle: a folder with {@code manifest.json} and the files it lists, as described in
 * {@code docs/bundle-format.md}.
 *
 * <p>Instances are immutable. They do not watch the folder, so a file changed after {@link #open}
 * is not detected until the bundle is opened again.
 */
public final class Bundle {

    /** Name of the manifest file inside the bundle folder. */
    public static final String MANIFEST_FILE = "manifest.json";

    private final Path directory;
    private final Manifest manifest;

    Bundle(Path directory, Manifest manifest) {
        this.directory = directory;
        this.manifest = manifest;
    }

    /**
     * Opens and verifies the bundle in {@code dir}. The checks are: the manifest parses, required
     * fields are present, values are in range and consistent (top-k, pools, priors, layer order,
     * trunk length), every referenced file is listed in {@code files}, and every listed file exists
     * with the listed size and SHA-256. The SHA-256 check reads every file once.
     *
     * @throws BundleException naming the bundle, the field or file, the rule and the value found
     */
    public static Bundle open(Path dir) {
        return BundleReader.read(dir);
    }

    /** Returns the validated manifest. */
    public Manifest manifest() {
        return manifest;
    }

    /** Returns the bundle folder as an absolute, normalized path. */
    public Path directory() {
        return directory;
    }

    /**
     * Resolves a path relative to the bundle folder. The file need not exist.
     *
     * @throws BundleException when the path is blank, absolute, contains {@code \\} or {@code :}, or has
     *                         an empty, {@code .} or {@code ..} segment
     */
    public Path resolve(String relativePath) {
        String problem = RelativePaths.problem(relativePath);
        if (problem != null) {
            throw new BundleException(directory, "path " + problem);
        }
        return directory.resolve(relativePath);
    }

    /**
     * Returns the ONNX file of trunk segment {@code segment}, 0 to L.
     *
     * @throws BundleException when the bundle has no such segment
     */
    public Path segmentFile(int segment) {
        if (segment < 0 || segment >= manifest.trunk().size()) {
            throw new BundleException(directory, "trunk segment " + segment
                    + " does not exist: the bundle has segments 0 to " + (manifest.trunk().size() - 1));
        }
        return resolve(manifest.trunk().get(segment).file());
    }

    /**
     * Returns the ONNX file of the gate of MoE layer {@code layer}.
     *
     * @throws BundleException when the bundle has no such layer
     */
    public Path gateFile(int layer) {
        return resolve(layerSpec(layer).gate());
    }

    /**
     * Returns the ONNX file of expert {@code expert} (original index) of MoE layer {@code layer}.
     *
     * @throws BundleException when the bundle has no such layer or the layer's pool does not keep the expert
     */
    public Path expertFile(int layer, int expert) {
        MoeLayerSpec spec = layerSpec(layer);
        String file = spec.expertFiles().get(expert);
        if (file == null) {
            String reason = spec.pool() != null ? "its pool keeps " + spec.pool()
                    : "it has experts 0 to " + (spec.experts() - 1);
            throw new BundleException(directory, "layers[" + layer + "] has no file for expert " + expert
                    + " because " + reason);
        }
        return resolve(file);
    }

    /**
     * Reads a file of the bundle into memory.
     *
     * @throws BundleException when the path is invalid or the file cannot be read
     */
    public byte[] readBytes(String relativePath) {
        Path file = resolve(relativePath);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BundleException(directory, "cannot read " + file + ": " + e, e);
        }
    }

    private MoeLayerSpec layerSpec(int layer) {
        if (layer < 0 || layer >= manifest.layers().size()) {
            throw new BundleException(directory, "MoE layer " + layer
                    + " does not exist: the bundle has layers 0 to " + (manifest.layers().size() - 1));
        }
        return manifest.layers().get(layer);
    }

    @Override
    public String toString() {
        return "Bundle[" + manifest.name() + " " + manifest.version() + " at " + directory + "]";
    }
}
