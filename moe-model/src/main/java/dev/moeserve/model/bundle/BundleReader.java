package dev.moeserve.model.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Reads {@code manifest.json}, validates it and verifies size and SHA-256 of every listed file. */
final class BundleReader {

    private BundleReader() {
    }

    /** Opens the bundle in {@code dir}; see {@link Bundle#open} for the checks. */
    static Bundle read(Path dir) {
        Path folder = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(folder)) {
            throw new BundleException(folder, "bundle folder not found or not a directory");
        }
        Manifest manifest = ManifestJson.read(folder);
        ManifestValidator.validate(folder, manifest);
        verifyFiles(folder, manifest);
        return new Bundle(folder, manifest);
    }

    /** Compares every {@code files} entry with the file on disk, in path order, and raises on the first mismatch. */
    static void verifyFiles(Path dir, Manifest manifest) {
        for (Map.Entry<String, FileEntry> entry : manifest.files().entrySet()) {
            String relativePath = entry.getKey();
            FileEntry expected = entry.getValue();
            String field = "files" + ManifestJson.fieldSuffix(false, relativePath);
            Path file = dir.resolve(relativePath);
            if (!Files.isRegularFile(file)) {
                throw new BundleException(dir, relativePath + " is listed in files but not found at " + file);
            }
            try {
                long size = Files.size(file);
                if (size != expected.bytes()) {
                    throw new BundleException(dir, field + ".bytes does not match the file: expected "
                            + expected.bytes() + ", found " + size);
                }
                String sha256 = Sha256.of(file);
                if (!sha256.equals(expected.sha256())) {
                    throw new BundleException(dir, field + ".sha256 does not match the file: expected "
                            + expected.sha256() + ", found " + sha256);
                }
            } catch (IOException e) {
                throw new BundleException(dir, "cannot read " + file + ": " + e, e);
            }
        }
    }
}
