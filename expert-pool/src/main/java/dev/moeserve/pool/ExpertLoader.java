package dev.moeserve.pool;

import ai.onnxruntime.OrtException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Creates one session per expert file; on any failure it closes the sessions created so far. */
final class ExpertLoader {

    private ExpertLoader() {
    }

    /**
     * Loads every file of {@code files}. An expert listed in {@code expectedWidths} must have that width.
     *
     * @throws BackendFailureException naming the expert and file that failed
     */
    static SortedMap<ExpertId, ExpertSession> load(Map<ExpertId, Path> files, Map<ExpertId, Integer> expectedWidths,
                                                  OrtRuntime.ProviderSelection provider) {
        SortedMap<ExpertId, ExpertSession> sessions = new TreeMap<>();
        try {
            for (Map.Entry<ExpertId, Path> entry : new TreeMap<>(files).entrySet()) {
                ExpertSession session = load(entry.getKey(), entry.getValue(), provider);
                sessions.put(entry.getKey(), session);
                Integer expected = expectedWidths.get(entry.getKey());
                if (expected != null && expected != session.width()) {
                    throw new BackendFailureException("expert " + entry.getKey() + " in " + entry.getValue()
                            + " has width " + session.width() + " but the manifest's layer has width " + expected);
                }
            }
            return sessions;
        } catch (RuntimeException e) {
            sessions.values().forEach(ExpertSession::close);
            throw e;
        }
    }

    private static ExpertSession load(ExpertId id, Path file, OrtRuntime.ProviderSelection provider) {
        try {
            return new ExpertSession(id, Files.readAllBytes(file), provider.options());
        } catch (IOException e) {
            throw new BackendFailureException("reading the file of expert " + id + " failed: " + file + ": " + e, e);
        } catch (OrtException | IllegalArgumentException e) {
            throw new BackendFailureException("ONNX Runtime could not load expert " + id + " from " + file + ": "
                    + e.getMessage(), e);
        }
    }
}
