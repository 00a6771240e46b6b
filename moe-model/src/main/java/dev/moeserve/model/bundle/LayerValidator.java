package dev.moeserve.model.bundle;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Checks the ranges and internal consistency of one MoE layer of a manifest. */
final class LayerValidator {

    private final Checker checker;

    LayerValidator(Checker checker) {
        this.checker = checker;
    }

    /** Checks layer {@code position} of a manifest whose model width is {@code modelWidth}. */
    void validate(MoeLayerSpec layer, int position, int modelWidth) {
        String path = "layers[" + position + "]";
        checker.requireNotNull(layer, path);
        if (layer.index() != position) {
            throw checker.fail("%s.index must be %d because layers are listed in order, got %d",
                    path, position, layer.index());
        }
        checker.requireAtLeast(layer.width(), 1, path + ".width");
        if (layer.width() != modelWidth) {
            throw checker.fail("%s.width must equal the model width %d, got %d", path, modelWidth, layer.width());
        }
        checker.requireAtLeast(layer.experts(), 1, path + ".experts");
        checker.requireBetween(layer.topK(), 1, layer.experts(), path + ".topK");
        checker.requirePath(layer.gate(), path + ".gate");

        if (layer.pool() != null) {
            validatePool(layer, path);
        }
        validateExpertFiles(layer, path);
        if (layer.prior() != null) {
            validatePrior(layer, path);
        }
    }

    private void validatePool(MoeLayerSpec layer, String path) {
        List<Integer> pool = layer.pool();
        Set<Integer> seen = new HashSet<>();
        int previous = -1;
        for (int i = 0; i < pool.size(); i++) {
            String field = path + ".pool[" + i + "]";
            Integer expert = pool.get(i);
            checker.requireNotNull(expert, field);
            checker.requireBetween(expert, 0, layer.experts() - 1L, field);
            if (!seen.add(expert)) {
                throw checker.fail("%s repeats expert %d, but each kept expert must be listed once", field, expert);
            }
            if (expert < previous) {
                throw checker.fail("%s.pool must be sorted in ascending order, got %d after %d",
                        path, expert, previous);
            }
            previous = expert;
        }
        if (pool.size() < layer.topK()) {
            throw checker.fail("%s.pool must keep at least topK = %d experts, got %d",
                    path, layer.topK(), pool.size());
        }
    }

    private void validateExpertFiles(MoeLayerSpec layer, String path) {
        checker.requireNotNull(layer.expertFiles(), path + ".expertFiles");
        Set<Integer> keptExperts = new TreeSet<>(layer.keptExperts());
        Set<Integer> keys = new TreeSet<>(layer.expertFiles().keySet());
        if (!keys.equals(keptExperts)) {
            String expected = layer.pool() != null
                    ? "the pool " + layer.pool()
                    : "all experts 0 to " + (layer.experts() - 1) + " because the pool is null";
            throw checker.fail("%s.expertFiles keys must equal %s, got %s", path, expected, keys);
        }
        for (Map.Entry<Integer, String> entry : layer.expertFiles().entrySet()) {
            checker.requirePath(entry.getValue(), path + ".expertFiles[\"" + entry.getKey() + "\"]");
        }
    }

    private void validatePrior(MoeLayerSpec layer, String path) {
        List<Double> prior = layer.prior();
        if (prior.size() != layer.experts()) {
            throw checker.fail("%s.prior must have %d entries, one per expert, got %d",
                    path, layer.experts(), prior.size());
        }
        for (int expert = 0; expert < prior.size(); expert++) {
            String field = path + ".prior[" + expert + "]";
            Double value = prior.get(expert);
            checker.requireNotNull(value, field);
            if (!(value >= 0) || value.isInfinite()) {
                throw checker.fail("%s must be a finite number >= 0, got %s", field, value);
            }
            if (value != 0 && !layer.keeps(expert)) {
                throw checker.fail("%s must be 0 because expert %d is not in the pool, got %s",
                        field, expert, value);
            }
        }
    }
}
