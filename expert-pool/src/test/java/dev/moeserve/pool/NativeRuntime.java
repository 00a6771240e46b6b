package dev.moeserve.pool;

import org.junit.jupiter.api.Assumptions;

/** Skips a test class cleanly when the ONNX Runtime native library cannot load on this machine. */
public final class NativeRuntime {

    private NativeRuntime() {
    }

    /** Aborts the calling test, as skipped, when ONNX Runtime is not available. */
    public static void assumeOnnxRuntime() {
        try {
            OrtRuntime.environment();
        } catch (UnsatisfiedLinkError | IllegalStateException e) {
            Assumptions.abort("ONNX Runtime cannot load on this machine: " + e);
        }
    }
}
