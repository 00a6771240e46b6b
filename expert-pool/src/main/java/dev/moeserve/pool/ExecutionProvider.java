package dev.moeserve.pool;

import java.util.Locale;

/** ONNX Runtime execution provider that expert sessions run on. */
public enum ExecutionProvider {

    /** The default CPU provider, with the process-wide intra-op thread pool. */
    CPU,

    /** NVIDIA CUDA; needs the {@code onnxruntime_gpu} jar (Maven profile {@code -Pgpu}) and the CUDA libraries. */
    CUDA;

    /** Returns the lower-case name used in flags, metrics tags and the worker protocol: {@code cpu} or {@code cuda}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code cpu} or {@code cuda}, ignoring case.
     *
     * @throws IllegalArgumentException for any other value
     */
    public static ExecutionProvider parse(String text) {
        for (ExecutionProvider provider : values()) {
            if (provider.label().equalsIgnoreCase(text.trim())) {
                return provider;
            }
        }
        throw new IllegalArgumentException("execution provider must be cpu or cuda, got '" + text + "'");
    }
}
