package dev.moeserve.router.policy;

import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.pool.ExpertId;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/** In-memory manifests and pools for policy tests: 2 MoE layers of 4 experts with top-2, no files. */
final class PolicyTestModels {

    static final List<List<Integer>> POOLS = List.of(List.of(0, 2), List.of(1, 3));

    private PolicyTestModels() {
    }

    static Manifest manifest() {
        List<MoeLayerSpec> layers = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            layers.add(new MoeLayerSpec(l, 16, 4, 2, "gates/layer" + l + ".onnx", new TreeMap<>(), null, null));
        }
        return new Manifest(Manifest.FORMAT, "m", "1", "image-classification", List.of("a", "b"), null, 50, 16, 17,
                List.of(), layers, "weights.safetensors", null, null, null, null);
    }

    static ReducedPool poolWithPriors() {
        return new ReducedPool("pool-bundle", POOLS,
                List.of(new double[] {0.7, 0, 0.3, 0}, new double[] {0, 0.5, 0, 0.5}));
    }

    static ReducedPool poolWithoutPriors() {
        List<double[]> priors = new ArrayList<>();
        priors.add(null);
        priors.add(null);
        return new ReducedPool("pool-bundle", POOLS, priors);
    }

    static Set<ExpertId> allExperts() {
        Set<ExpertId> held = new HashSet<>();
        for (int l = 0; l < 2; l++) {
            for (int e = 0; e < 4; e++) {
                held.add(new ExpertId(l, e));
            }
        }
        return held;
    }

    static Set<ExpertId> poolExperts() {
        Set<ExpertId> held = new HashSet<>();
        for (int l = 0; l < 2; l++) {
            for (int e : POOLS.get(l)) {
                held.add(new ExpertId(l, e));
            }
        }
        return held;
    }

    static PolicyCompiler compiler(ReducedPool pool, Set<ExpertId> held) {
        return new PolicyCompiler(manifest(), pool, held, UnaryOperator.identity());
    }
}
