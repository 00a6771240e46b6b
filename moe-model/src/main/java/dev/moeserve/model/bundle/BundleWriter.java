package dev.moeserve.model.bundle;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/** Writes {@code manifest.json} for a bundle folder whose other files are already written. */
public final class BundleWriter {

    private BundleWriter() {
    }

    /**
     * Computes the {@code files} entries and writes {@code manifest.json} into {@code dir}.
     *
     * <p>The entries cover exactly the files that the manifest references (trunk segments, gates,
     * experts and weights), with size and SHA-256 read from disk. Any {@code files} already set in
     * {@code manifest} are replaced. The manifest is validated like {@link Bundle#open} does, then
     * written pretty-printed with the field order of the format, to a temporary file that is moved
     * over {@code manifest.json}.
     *
     * @param parameters parameter count per relative file path; a referenced file that has no entry gets 0
     * @return the manifest as written, with {@code files} set
     * @throws BundleException when the manifest is invalid, a referenced file is missing or unreadable,
     *                         or {@code parameters} names a file the manifest does not reference
     */
    public static Manifest write(Path dir, Manifest manifest, Map<String, Long> parameters) {
        Path folder = dir.toAbsolutePath().normalize();
        ManifestValidator.validateWithoutFiles(folder, manifest);

        Set<String> referenced = new LinkedHashSet<>();
        for (ManifestValidator.FileReference reference : ManifestValidator.references(manifest)) {
            referenced.add(reference.file());
        }
        for (String path : parameters.keySet()) {
            if (!referenced.contains(path)) {
                throw new BundleException(folder, "parameters lists \"" + path
                        + "\", which the manifest does not reference; referenced files are " + referenced);
            }
        }

        SortedMap<String, FileEntry> files = new TreeMap<>();
        for (String path : referenced) {
            Long count = parameters.get(path);
            files.put(path, describe(folder, path, count == null ? 0 : count));
        }
        Manifest complete = manifest.withFiles(files);
        ManifestValidator.validate(folder, complete);

        writeAtomically(folder, ManifestJson.write(complete));
        return complete;
    }

    private static FileEntry describe(Path dir, String relativePath, long parameters) {
        Path file = dir.resolve(relativePath);
        if (!Files.isRegularFile(file)) {
            throw new BundleException(dir, relativePath + " is referenced by the manifest but not found at " + file);
        }
        try {
            return new FileEntry(Sha256.of(file), Files.size(file), parameters);
        } catch (IOException e) {
            throw new BundleException(dir, "cannot read " + file + ": " + e, e);
        }
    }

    private static void writeAtomically(Path dir, byte[] json) {
        Path target = dir.resolve(Bundle.MANIFEST_FILE);
        Path temporary = dir.resolve(Bundle.MANIFEST_FILE + ".tmp");
        try {
            Files.write(temporary, json);
            try {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new BundleException(dir, "cannot write " + target + ": " + e, e);
        }
    }
}
