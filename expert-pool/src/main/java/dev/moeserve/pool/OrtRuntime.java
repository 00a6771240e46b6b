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

    /** Environment variable that stops ONNX Runtime's telemetry from the start of the process. */
    public static final String TELEMETRY_VARIABLE = "ORT_DISABLE_TELEMETRY";

    private static final Logger LOG = LoggerFactory.getLogger(OrtRuntime.class);
    private static volatile OrtEnvironment environment;
    private static int environmentThreads;

    private OrtRuntime() {
    }

    /** Returns the shared environment, creating it on first use with {@link #threads()} intra-op threads. */
    public static OrtEnvironment environment() {
        OrtEnvironment env = environment;
        if (env != null) {
            return env;
        }
        return environment(threads());
    }

    /**
     * Returns the shared environment, creating it with {@code intraOpThreads} threads when it does not exist
     * yet. An existing environment keeps its thread count, and a different request is logged as a warning.
     */
    public static OrtEnvironment environment(int intraOpThreads) {
        synchronized (OrtRuntime.class) {
            if (environment == null) {
                environment = create(intraOpThreads);
                environmentThreads = intraOpThreads;
            } else if (intraOpThreads != environmentThreads) {
                LOG.warn("ONNX Runtime already runs with {} intra-op threads; the request for {} is ignored "
                        + "because the thread pool is process-wide", environmentThreads, intraOpThreads);
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

    /**
     * Creates session options for {@code requested}. For CUDA it adds the CUDA provider on device
     * {@code cudaDeviceId}; when ONNX Runtime rejects that (the CPU build, or CUDA libraries missing), it
     * logs ONNX Runtime's error once at WARN and returns CPU options with the reason.
     */
    public static ProviderSelection sessionOptions(ExecutionProvider requested, int cudaDeviceId) throws OrtException {
        OrtSession.SessionOptions options = cpuSessionOptions();
        if (requested == ExecutionProvider.CPU) {
            return new ProviderSelection(options, ExecutionProvider.CPU, "cpu", null);
        }
        try {
            options.addCUDA(cudaDeviceId);
            LOG.info("Expert sessions use the CUDA execution provider on device {}", cudaDeviceId);
            return new ProviderSelection(options, ExecutionProvider.CUDA, "cuda:" + cudaDeviceId, null);
        } catch (OrtException e) {
            options.close();
            String reason = e.getMessage();
            LOG.warn("CUDA execution provider on device {} is unavailable, so experts run on the CPU. "
                    + "ONNX Runtime reported: {}. Providers in this build: {}", cudaDeviceId, reason,
                    OrtEnvironment.getAvailableProviders());
            return new ProviderSelection(cpuSessionOptions(), ExecutionProvider.CPU, "cpu", reason);
        }
    }

    /**
     * Session options together with the provider they select.
     *
     * @param options        options to create sessions with; the owner closes them
     * @param provider       provider the sessions run on
     * @param device         device label for health and metrics, {@code cpu} or {@code cuda:N}
     * @param fallbackReason ONNX Runtime's error when CUDA was requested but is not used, else null
     */
    public record ProviderSelection(OrtSession.SessionOptions options, ExecutionProvider provider, String device,
                                    String fallbackReason) implements AutoCloseable {

        @Override
        public void close() {
            options.close();
        }
    }

    private static OrtEnvironment create(int threads) {
        if (!"1".equals(System.getenv(TELEMETRY_VARIABLE))) {
            // ONNX Runtime 1.29.0 writes a device id under ~/.cache/Microsoft while it creates the environment,
            // unless this variable is 1 in the native environment. setTelemetry(false) below comes too late.
            if (NativeEnvironment.set(TELEMETRY_VARIABLE, "1")) {
                LOG.debug("Set {}=1 in the native environment before starting ONNX Runtime", TELEMETRY_VARIABLE);
            } else {
                LOG.warn("Could not set {}=1 in the native environment: ONNX Runtime may record telemetry under"
                        + " ~/.cache/Microsoft. Set it before starting Java (./moe does)", TELEMETRY_VARIABLE);
            }
        }
        try {
            OrtEnvironment.ThreadingOptions threading = new OrtEnvironment.ThreadingOptions();
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
