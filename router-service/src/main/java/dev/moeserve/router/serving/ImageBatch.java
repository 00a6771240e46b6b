package dev.moeserve.router.serving;

/**
 * Images of one request, validated: {@code pixels} contains {@code batch * 784} values in [0, 1], row-major
 * {@code [batch, 28, 28]}.
 */
public record ImageBatch(float[] pixels, int batch) {
}
