package dev.moeserve.pool;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one ONNX Runtime environment of this process.
 *
 * <p>It is created with telemetry disabled before any session exists, and with one global intra-op
 * thread pool that every session shares ({@code disablePerSessionThreads}): with a pool per session,
 * many small expert sessions spin against each other on a small machine. The pool size defaults to
 * the processor count and can be set with the system property {@value #THREADS_PROPERTY}.
 */
public final class OrtRuntime {

    /** System property that sets the global intra-op thread count. */
    public static final String THREADS_PROPERTY = "moe.ort.threads";

    private static final Logger LOG = LoggerFactory.getLogger(OrtRuntime.class);
    private static volatile OrtEnvironment environment;

    private OrtRuntime() {
    }

    /** Returns the shared environment, creating it on first use. */
    public static OrtEnvironment environment() {
        OrtEnvironment env = environment;
        if (env != null) {
            return env;
        }
        synchronized (OrtRuntime.class) {
            if (environment == null) {
                environment = create();
            }
            return environment;
        }
    }

    /** Session options that use the global thread pool, for sessions on the CPU. */
    public static OrtSession.SessionOptions cpuSessionOptions() throws OrtException {
        environment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.disablePerSessionThreads();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return options;
    }

    /** Global intra-op threads: the system property {@value #THREADS_PROPERTY}, else the processor count. */
    public static int threads() {
        String configured = System.getProperty(THREADS_PROPERTY);
        if (configured != null) {
            int value = Integer.parseInt(configured.trim());
            if (value < 1) {
                throw new IllegalArgumentException(THREADS_PROPERTY + " must be at least 1, got " + value);
            }
            return value;
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static OrtEnvironment create() {
        try {
            OrtEnvironment.ThreadingOptions threading = new OrtEnvironment.ThreadingOptions();
            int threads = threads();
            threading.setGlobalIntraOpNumThreads(threads);
            threading.setGlobalInterOpNumThreads(1);
            threading.setGlobalSpinControl(false);
            OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "moe",
                    threading);
            env.setTelemetry(false);
            LOG.info("ONNX Runtime {} started: telemetry off, {} shared intra-op threads",
                    env.getVersion(), threads);
            return env;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime environment could not be created: " + e.getMessage(), e);
        }
    }
}
