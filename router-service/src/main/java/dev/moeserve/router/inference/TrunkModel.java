package dev.moeserve.router.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.pool.BackendClosedException;
import dev.moeserve.pool.BackendFailureException;
import dev.moeserve.pool.OrtRuntime;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The dense part of a bundle in ONNX Runtime: trunk segments and gates. Calls block the calling thread
 * for the length of an ONNX Runtime run, so callers keep them off event loops.
 */
public final class TrunkModel implements AutoCloseable {

    /**
     * Runs hold the read lock and {@link #close} the write lock, so sessions are never freed while ONNX
     * Runtime runs them (that crashed the JVM when a shutdown raced with requests), and a run after close
     * fails with {@link BackendClosedException} instead of entering native code.
     */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private final Manifest manifest;
    private final List<OrtSession> segments = new ArrayList<>();
    private final List<OrtSession> gates = new ArrayList<>();

    private TrunkModel(Manifest manifest) {
        this.manifest = manifest;
    }

    /** Opens sessions for every trunk segment and gate of {@code bundle}. */
    public static TrunkModel load(Bundle bundle) {
        Manifest manifest = bundle.manifest();
        TrunkModel model = new TrunkModel(manifest);
        OrtEnvironment env = OrtRuntime.environment();
        try (OrtSession.SessionOptions options = OrtRuntime.cpuSessionOptions()) {
            for (int i = 0; i < manifest.trunk().size(); i++) {
                model.segments.add(env.createSession(Files.readAllBytes(bundle.segmentFile(i)), options));
            }
            for (int l = 0; l < manifest.layers().size(); l++) {
                model.gates.add(env.createSession(Files.readAllBytes(bundle.gateFile(l)), options));
            }
        } catch (Exception e) {
            model.close();
            throw new BackendFailureException("loading the trunk of " + bundle.directory() + " failed: "
                    + e.getMessage(), e);
        }
        return model;
    }

    public Manifest manifest() {
        return manifest;
    }

    /** Output of one trunk segment: the residual stream and the next MoE layer's input, or the logits. */
    public record SegmentOutput(float[] hidden, float[] moeInput, float[] logits) {
    }

    /** Runs segment 0 on images {@code [batch, 28, 28]}. */
    public SegmentOutput first(float[] images, int batch) {
        Map<String, float[]> inputs = Map.of("images", images);
        Map<String, long[]> shapes = Map.of("images", new long[] {batch, 28, 28});
        return run(0, inputs, shapes);
    }

    /** Runs segment {@code index} (at least 1) on the residual stream and the previous MoE output. */
    public SegmentOutput next(int index, float[] hidden, float[] moeOutput, int batch) {
        int t = manifest.tokens();
        int d = manifest.width();
        Map<String, float[]> inputs = Map.of("hidden", hidden, "moe_output", moeOutput);
        Map<String, long[]> shapes = Map.of("hidden", new long[] {batch, t, d},
                "moe_output", new long[] {(long) batch * t, d});
        return run(index, inputs, shapes);
    }

    /** Runs the gate of {@code layer} on {@code tokens [n, d]} and returns the logits {@code [n, E]}. */
    public float[] gate(int layer, float[] tokens, int n) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            return runGate(layer, tokens, n);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private float[] runGate(int layer, float[] tokens, int n) {
        OrtEnvironment env = OrtRuntime.environment();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(tokens),
                new long[] {n, manifest.width()});
             OrtSession.Result result = gates.get(layer).run(Map.of("tokens", input))) {
            return copy((OnnxTensor) result.get(0));
        } catch (OrtException e) {
            throw new BackendFailureException("gate of layer " + layer + " failed: " + e.getMessage(), e);
        }
    }

    private SegmentOutput run(int index, Map<String, float[]> inputs, Map<String, long[]> shapes) {
        lifecycle.readLock().lock();
        try {
            checkOpen();
            return runSegment(index, inputs, shapes);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new BackendClosedException("the trunk of " + manifest.name() + " is closed");
        }
    }

    private SegmentOutput runSegment(int index, Map<String, float[]> inputs, Map<String, long[]> shapes) {
        OrtEnvironment env = OrtRuntime.environment();
        Map<String, OnnxTensor> tensors = new HashMap<>();
        try {
            for (Map.Entry<String, float[]> in : inputs.entrySet()) {
                tensors.put(in.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(in.getValue()),
                        shapes.get(in.getKey())));
            }
            try (OrtSession.Result result = segments.get(index).run(tensors)) {
                if (index == segments.size() - 1) {
                    return new SegmentOutput(null, null, copy((OnnxTensor) result.get("logits").orElseThrow()));
                }
                return new SegmentOutput(copy((OnnxTensor) result.get("hidden_out").orElseThrow()),
                        copy((OnnxTensor) result.get("moe_input").orElseThrow()), null);
            }
        } catch (OrtException e) {
            throw new BackendFailureException("trunk segment " + index + " failed: " + e.getMessage(), e);
        } finally {
            tensors.values().forEach(OnnxTensor::close);
        }
    }

    private static float[] copy(OnnxTensor tensor) {
        FloatBuffer buffer = tensor.getFloatBuffer();
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    /** Waits for runs in progress, then frees the sessions; later runs fail with {@link BackendClosedException}. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closeSessions();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private void closeSessions() {
        for (OrtSession s : segments) {
            closeQuietly(s);
        }
        for (OrtSession s : gates) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            // Closing happens at shutdown; the session's memory goes with the process.
        }
    }
}
