package dev.moeserve.profiler;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.pool.ExpertId;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** The expert files of a bundle's pool, keyed by expert. */
final class PoolFiles {

    private PoolFiles() {
    }

    static Map<ExpertId, Path> of(Bundle bundle) {
        Map<ExpertId, Path> files = new TreeMap<>();
        for (MoeLayerSpec layer : bundle.manifest().layers()) {
            for (int e : layer.keptExperts()) {
                files.put(new ExpertId(layer.index(), e), bundle.expertFile(layer.index(), e));
            }
        }
        return files;
    }
}
