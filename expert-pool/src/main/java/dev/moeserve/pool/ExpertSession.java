package dev.moeserve.pool;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * One expert's ONNX Runtime session: {@code tokens [n, d] -> output [n, d]}. Thread-safe, because ONNX
 * Runtime allows concurrent {@code run} calls on one session.
 */
public final class ExpertSession implements AutoCloseable {

    private final ExpertId id;
    private final OrtSession session;
    private final long fileBytes;
    private final String inputName;
    private final String outputName;
    private final int width;

    /**
     * Creates the session from the expert's ONNX file content.
     *
     * @throws OrtException             when ONNX Runtime cannot load the graph
     * @throws IllegalArgumentException when the graph does not have one input and one output of shape
     *                                  {@code [n, d]} with a fixed {@code d}
     */
    public ExpertSession(ExpertId id, byte[] onnx, OrtSession.SessionOptions options) throws OrtException {
        this.id = id;
        this.session = OrtRuntime.environment().createSession(onnx, options);
        this.fileBytes = onnx.length;
        try {
            this.inputName = onlyName(session.getInputInfo(), "input");
            this.outputName = onlyName(session.getOutputInfo(), "output");
            this.width = fixedWidth(session.getInputInfo().get(inputName));
        } catch (RuntimeException | OrtException e) {
            session.close();
            throw e;
        }
    }

    public ExpertId id() {
        return id;
    }

    /** Bytes of the expert's ONNX file, its weights included. */
    public long fileBytes() {
        return fileBytes;
    }

    /** Model width d: floats per token in the input and the output. */
    public int width() {
        return width;
    }

    /**
     * Runs the expert synchronously on the calling thread. This copies the input into a tensor and the
     * output out of ONNX Runtime's buffer, so it is the simple path for tests and one-off calls.
     */
    public float[] run(float[] tokens, int count, int width) throws OrtException {
        OrtEnvironment env = OrtRuntime.environment();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(tokens, 0, count * width),
                new long[] {count, width});
             OrtSession.Result result = session.run(Map.of(inputName, input))) {
            FloatBuffer output = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] out = new float[count * width];
            output.get(out);
            return out;
        }
    }

    /**
     * Runs the expert on the first {@code count * width()} floats of {@code input} and writes the outputs
     * into the first {@code count * width()} floats of {@code output}. Both buffers must be direct and in
     * native byte order, so that ONNX Runtime reads and writes them in place without copies.
     */
    public void run(FloatBuffer input, FloatBuffer output, int count) throws OrtException {
        OrtEnvironment env = OrtRuntime.environment();
        int floats = count * width;
        long[] shape = {count, width};
        try (OnnxTensor in = OnnxTensor.createTensor(env, input.duplicate().position(0).limit(floats).slice(), shape);
             OnnxTensor out = OnnxTensor.createTensor(env, output.duplicate().position(0).limit(floats).slice(), shape);
             OrtSession.Result ignored = session.run(Map.of(inputName, in), Map.of(outputName, out))) {
            // ONNX Runtime wrote the outputs into the pinned tensor, which wraps the caller's buffer.
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

    private String onlyName(Map<String, NodeInfo> nodes, String kind) {
        if (nodes.size() != 1) {
            throw new IllegalArgumentException("expert " + id + " must have one " + kind + ", got " + nodes.keySet());
        }
        return nodes.keySet().iterator().next();
    }

    private int fixedWidth(NodeInfo input) {
        if (!(input.getInfo() instanceof TensorInfo tensor) || tensor.getShape().length != 2
                || tensor.getShape()[1] < 1) {
            throw new IllegalArgumentException("expert " + id + " input must be a tensor of shape [n, d] with a "
                    + "fixed d, got " + input.getInfo());
        }
        return (int) tensor.getShape()[1];
    }
}
