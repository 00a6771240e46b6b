package dev.moeserve.profiler.model;

/**
 * Settings DJL must see before its engine loads: offline mode (no model zoo or library download),
 * usage tracking off, and explicit libtorch thread counts so that two processes on a small machine do
 * not spin OpenMP pools against each other.
 */
public final class DjlRuntime {

    private DjlRuntime() {
    }

    /** Applies the settings unless the user already set them as system properties. */
    public static void configure() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(threads));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
