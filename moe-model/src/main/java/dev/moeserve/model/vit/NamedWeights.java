package dev.moeserve.model.vit;

/** Read access to named float parameters, row-major, with their shapes. */
public interface NamedWeights {

    float[] values(String name);

    long[] shape(String name);
}
