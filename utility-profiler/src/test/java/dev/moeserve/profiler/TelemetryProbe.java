package dev.moeserve.profiler;

import ai.onnxruntime.OrtEnvironment;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.router.inference.TrunkModel;

/**
 * Child-process entry point of {@link TelemetryTest}: {@code project BUNDLE} starts ONNX Runtime through
 * the project's runtime and runs the trunk of a bundle; {@code bare} creates an environment directly.
 */
public final class TelemetryProbe {

    /** Printed by the project mode, followed by the native value of ORT_DISABLE_TELEMETRY after the run. */
    static final String NATIVE_VALUE_LINE = "native ORT_DISABLE_TELEMETRY=";

    private interface LibC extends com.sun.jna.Library {
        String getenv(String name);
    }

    private TelemetryProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("bare")) {
            OrtEnvironment.getEnvironment();
            return;
        }
        try (TrunkModel trunk = TrunkModel.load(Bundle.open(java.nio.file.Path.of(args[1])))) {
            trunk.first(new float[2 * 784], 2);
        }
        LibC libc = com.sun.jna.Native.load("c", LibC.class);
        System.out.println(NATIVE_VALUE_LINE + libc.getenv("ORT_DISABLE_TELEMETRY"));
    }
}
