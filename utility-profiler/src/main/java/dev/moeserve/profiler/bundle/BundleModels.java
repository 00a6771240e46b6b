package dev.moeserve.profiler.bundle;

import ai.djl.ndarray.NDManager;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.BundleException;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.vit.VitMoeConfig;
import dev.moeserve.profiler.model.VitMoe;

import java.io.IOException;
import java.util.SortedMap;

/** Loads the DJL model of a verified bundle from its safetensors weights. */
public final class BundleModels {

    private BundleModels() {
    }

    /** Rebuilds the model configuration from the manifest. */
    public static VitMoeConfig config(Manifest manifest) {
        SortedMap<String, Integer> a = manifest.architecture();
        if (a == null) {
            throw new IllegalArgumentException("bundle " + manifest.name()
                    + " has no architecture field, so its ViT-MoE definition cannot be rebuilt");
        }
        return new VitMoeConfig(require(a, "stemChannels"), require(a, "patch"), manifest.width(),
                require(a, "heads"), manifest.layers().size(), manifest.layer(0).experts(),
                manifest.layer(0).topK(), require(a, "expertHidden"), require(a, "classes"));
    }

    /**
     * Loads all parameters into {@code manager}. A reduced bundle lacks the dropped experts' weights;
     * profiling needs the full model, so such a bundle is rejected.
     */
    public static VitMoe load(Bundle bundle, NDManager manager) throws IOException {
        Manifest manifest = bundle.manifest();
        if (manifest.isReduced()) {
            throw new BundleException(bundle.directory(), "is a reduced pool (" + manifest.name()
                    + "); profiling and training need the full bundle it was cut from");
        }
        VitMoeConfig config = config(manifest);
        try {
            return VitMoe.fromSafetensors(manager, config, bundle.resolve(manifest.weights()));
        } catch (IllegalArgumentException e) {
            throw new BundleException(bundle.directory(), e.getMessage(), e);
        }
    }

    private static int require(SortedMap<String, Integer> a, String key) {
        Integer value = a.get(key);
        if (value == null) {
            throw new IllegalArgumentException("architecture." + key + " is missing");
        }
        return value;
    }
}
