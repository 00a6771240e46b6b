package dev.moeserve.router.policy;

import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.model.bundle.ReducedFrom;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The kept experts and utility priors of a reduced bundle, which the {@code masked}, {@code agf-prior}
 * and {@code cascade} policies route with.
 *
 * @param source where the pool came from, for error messages, for example the bundle folder
 * @param pools  kept expert indices per layer, ascending
 * @param priors the prior per layer ({@code experts} values), or null for a layer without one
 */
public record ReducedPool(String source, List<List<Integer>> pools, List<double[]> priors) {

    public ReducedPool {
        pools = List.copyOf(pools);
        priors = Collections.unmodifiableList(new ArrayList<>(priors));
    }

    /**
     * Reads the pool of {@code pool}, a reduced bundle's manifest, and checks that it was cut from
     * {@code model}: the same layers, expert counts, top-k and width, the same name and version in
     * {@code reducedFrom} when set, and identical files for the experts that both bundles contain.
     *
     * @throws PolicyConfigException naming the first difference
     */
    public static ReducedPool fromManifest(Manifest model, Manifest pool, String source) {
        checkCompatible(model, pool, source);
        List<List<Integer>> pools = new ArrayList<>();
        List<double[]> priors = new ArrayList<>();
        for (MoeLayerSpec layer : pool.layers()) {
            pools.add(layer.keptExperts());
            priors.add(layer.priorArray());
        }
        return new ReducedPool(source, pools, priors);
    }

    /** Returns whether every layer carries a prior, which {@code agf-prior} needs. */
    public boolean hasPriors() {
        return priors.stream().allMatch(Objects::nonNull);
    }

    /** Returns the first layer without a prior, or -1. */
    public int firstLayerWithoutPrior() {
        for (int l = 0; l < priors.size(); l++) {
            if (priors.get(l) == null) {
                return l;
            }
        }
        return -1;
    }

    private static void checkCompatible(Manifest model, Manifest pool, String source) {
        if (pool.layers().size() != model.layers().size()) {
            throw new PolicyConfigException("pool bundle " + source + " has " + pool.layers().size()
                    + " MoE layers, but the served model has " + model.layers().size());
        }
        if (pool.width() != model.width() || pool.tokens() != model.tokens()) {
            throw new PolicyConfigException("pool bundle " + source + " has width " + pool.width() + " and "
                    + pool.tokens() + " tokens, but the served model has width " + model.width() + " and "
                    + model.tokens() + " tokens");
        }
        ReducedFrom origin = pool.reducedFrom();
        // A reduced bundle served on its own is its own pool; its origin names the full bundle instead.
        if (origin != null && model != pool && (!origin.name().equals(model.name()) || !origin.version().equals(model.version()))) {
            throw new PolicyConfigException("pool bundle " + source + " was reduced from " + origin.name() + " "
                    + origin.version() + ", but the served model is " + model.name() + " " + model.version());
        }
        for (int l = 0; l < model.layers().size(); l++) {
            checkLayer(model.layer(l), pool.layer(l), model, pool, source);
        }
    }

    private static void checkLayer(MoeLayerSpec full, MoeLayerSpec reduced, Manifest model, Manifest pool,
                                   String source) {
        int l = full.index();
        if (reduced.experts() != full.experts() || reduced.topK() != full.topK()) {
            throw new PolicyConfigException("pool bundle " + source + ": layer " + l + " has " + reduced.experts()
                    + " experts with top-" + reduced.topK() + ", but the served model has " + full.experts()
                    + " with top-" + full.topK());
        }
        for (int e : reduced.keptExperts()) {
            String poolFile = reduced.expertFiles().get(e);
            String modelFile = full.expertFiles().get(e);
            if (poolFile == null || modelFile == null) {
                continue;
            }
            String poolHash = pool.file(poolFile).sha256();
            String modelHash = model.file(modelFile).sha256();
            if (!poolHash.equals(modelHash)) {
                throw new PolicyConfigException("pool bundle " + source + ": expert " + l + ":" + e
                        + " differs from the served model's (SHA-256 " + poolHash + " against " + modelHash
                        + "), so the pool was not cut from this model");
            }
        }
    }
}
