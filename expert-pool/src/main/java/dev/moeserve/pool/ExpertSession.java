package dev.moeserve.pool;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.util.Map;

/** One expert's ONNX Runtime session: {@code tokens [n, d] -> output [n, d]}. Thread-safe. */
public final class ExpertSession implements AutoCloseable {

    private final ExpertId id;
    private final OrtSession session;
    private final long fileBytes;

    public ExpertSession(ExpertId id, byte[] onnx, OrtSession.SessionOptions options) throws OrtException {
        this.id = id;
        this.session = OrtRuntime.environment().createSession(onnx, options);
        this.fileBytes = onnx.length;
    }

    public ExpertId id() {
        return id;
    }

    /** Bytes of the expert's ONNX file, its weights included. */
    public long fileBytes() {
        return fileBytes;
    }

    /** Runs the expert synchronously on the calling thread. */
    public float[] run(float[] tokens, int count, int width) throws OrtException {
        OrtEnvironment env = OrtRuntime.environment();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(tokens, 0, count * width),
                new long[] {count, width});
             OrtSession.Result result = session.run(Map.of("tokens", input))) {
            FloatBuffer output = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] out = new float[count * width];
            output.get(out);
            return out;
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the session of expert " + id + " failed", e);
        }
    }
}
