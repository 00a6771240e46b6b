package dev.moeserve.pool;

/**
 * An expert loaded by a pool.
 *
 * @param id          layer and original expert index
 * @param width       model width d the expert expects
 * @param weightBytes size of the expert's ONNX file
 */
public record LoadedExpert(ExpertId id, int width, long weightBytes) {
}
