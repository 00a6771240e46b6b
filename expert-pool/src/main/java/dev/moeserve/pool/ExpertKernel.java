package dev.moeserve.pool;

import java.nio.FloatBuffer;

/** The computation a {@link MicroBatcher} runs: rows of a fixed width in, the same number of rows out. */
interface ExpertKernel {

    /** Floats per token, in the input and the output. */
    int width();

    /**
     * Computes the outputs of the first {@code tokenCount} rows of {@code input} into the first
     * {@code tokenCount} rows of {@code output}; both are direct buffers in native byte order.
     */
    void run(FloatBuffer input, FloatBuffer output, int tokenCount) throws Exception;
}
