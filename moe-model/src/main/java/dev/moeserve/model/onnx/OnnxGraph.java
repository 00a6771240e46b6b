package dev.moeserve.model.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A small builder over the ONNX protobuf classes: named inputs, outputs, float and int64
 * initializers, and nodes of the default domain. Names of intermediate values are generated.
 */
public final class OnnxGraph {

    /** Opset of every graph this project writes; 17 is the first with {@code LayerNormalization}. */
    public static final int OPSET = 17;

    /** IR version matching opset 17. */
    private static final int IR_VERSION = 8;

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private int nextValue;
    private long parameterCount;

    public OnnxGraph(String name) {
        graph.setName(name);
    }

    /**
     * Declares a float input; a dimension given as a string is symbolic (for example {@code "batch"}),
     * a number is fixed.
     */
    public String input(String name, Object... dims) {
        graph.addInput(valueInfo(name, dims));
        return name;
    }

    /** Declares {@code value} as the float output {@code name}, renaming it through an Identity node. */
    public void output(String value, String name, Object... dims) {
        graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").addInput(value).addOutput(name));
        graph.addOutput(valueInfo(name, dims));
    }

    /** Adds a float initializer (a weight, counted in {@link #parameterCount()}) in row-major order. */
    public String weight(String name, float[] values, long... dims) {
        parameterCount += values.length;
        return floatConstant(name, values, dims);
    }

    /** Adds a float constant that is not a learned parameter. */
    public String floatConstant(String name, float[] values, long... dims) {
        checkSize(name, values.length, dims);
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        graph.addInitializer(tensor(name, OnnxMl.TensorProto.DataType.FLOAT, bytes.array(), dims));
        return name;
    }

    /** Adds a scalar float constant. */
    public String scalar(String name, float value) {
        return floatConstant(name, new float[] {value});
    }

    /** Adds a one-dimensional int64 constant, for shapes, axes and indices. */
    public String longs(String name, long... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        graph.addInitializer(tensor(name, OnnxMl.TensorProto.DataType.INT64, bytes.array(), values.length));
        return name;
    }

    /** Adds a scalar int64 constant. */
    public String longScalar(String name, long value) {
        ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        graph.addInitializer(tensor(name, OnnxMl.TensorProto.DataType.INT64, bytes.array()));
        return name;
    }

    /** Adds a node with one output and returns the generated output name. */
    public String node(String opType, String[] inputs, Attribute... attributes) {
        String output = opType.toLowerCase() + "_" + nextValue++;
        OnnxMl.NodeProto.Builder node = OnnxMl.NodeProto.newBuilder().setOpType(opType).addOutput(output)
                .setName(output);
        for (String input : inputs) {
            node.addInput(input);
        }
        for (Attribute attribute : attributes) {
            node.addAttribute(attribute.proto());
        }
        graph.addNode(node);
        return output;
    }

    public String node(String opType, String input, Attribute... attributes) {
        return node(opType, new String[] {input}, attributes);
    }

    public String node(String opType, String first, String second, Attribute... attributes) {
        return node(opType, new String[] {first, second}, attributes);
    }

    /** Parameters stored in weights added so far. */
    public long parameterCount() {
        return parameterCount;
    }

    /** Serializes the model with the default-domain opset {@link #OPSET}. */
    public byte[] toBytes() {
        OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("moe-model")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build();
        return model.toByteArray();
    }

    /** A node attribute. */
    public record Attribute(OnnxMl.AttributeProto proto) {

        public static Attribute ints(String name, long... values) {
            OnnxMl.AttributeProto.Builder b = OnnxMl.AttributeProto.newBuilder().setName(name)
                    .setType(OnnxMl.AttributeProto.AttributeType.INTS);
            for (long v : values) {
                b.addInts(v);
            }
            return new Attribute(b.build());
        }

        public static Attribute integer(String name, long value) {
            return new Attribute(OnnxMl.AttributeProto.newBuilder().setName(name)
                    .setType(OnnxMl.AttributeProto.AttributeType.INT).setI(value).build());
        }

        public static Attribute real(String name, float value) {
            return new Attribute(OnnxMl.AttributeProto.newBuilder().setName(name)
                    .setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(value).build());
        }
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, Object... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Object dim : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder d = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (dim instanceof String symbol) {
                d.setDimParam(symbol);
            } else {
                d.setDimValue(((Number) dim).longValue());
            }
            shape.addDim(d);
        }
        OnnxMl.TypeProto.Tensor tensorType = OnnxMl.TypeProto.Tensor.newBuilder()
                .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .setShape(shape)
                .build();
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(tensorType)).build();
    }

    private static OnnxMl.TensorProto tensor(String name, OnnxMl.TensorProto.DataType type, byte[] raw,
                                             long... dims) {
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(raw));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    private static void checkSize(String name, int length, long... dims) {
        long size = 1;
        for (long d : dims) {
            size *= d;
        }
        if (size != length) {
            throw new IllegalArgumentException("initializer " + name + " has " + length
                    + " values but its shape needs " + size);
        }
    }
}
