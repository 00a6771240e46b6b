package dev.moeserve.router.grpc;

import com.google.protobuf.ByteString;
import dev.moeserve.router.grpc.proto.InferParameter;
import dev.moeserve.router.grpc.proto.InferTensorContents;
import dev.moeserve.router.grpc.proto.ModelInferRequest;
import dev.moeserve.router.grpc.proto.ModelInferResponse;
import dev.moeserve.router.inference.InferenceResult;
import dev.moeserve.router.serving.ImageInput;
import dev.moeserve.router.serving.InferenceService.InferCall;
import dev.moeserve.router.serving.InferenceService.Served;
import dev.moeserve.router.serving.InvalidRequestException;
import dev.moeserve.router.serving.OutputKind;
import dev.moeserve.router.serving.OutputTensors;
import dev.moeserve.router.serving.ServingModel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Set;

/**
 * ModelInfer messages of the KServe v2 gRPC protocol. Input values come typed ({@code fp32_contents} for
 * FP32, {@code uint_contents} for UINT8) or as {@code raw_input_contents}. A request that sent raw input
 * gets raw output ({@code raw_output_contents}); one that sent typed input gets typed output.
 */
final class GrpcCodec {

    private GrpcCodec() {
    }

    /** A decoded request and whether the reply uses raw output. */
    record Decoded(InferCall call, boolean raw) {
    }

    /**
     * Validates {@code request} and converts its images.
     *
     * @throws InvalidRequestException naming the field, the rule and the value received
     */
    static Decoded decode(ModelInferRequest request, String inputName, int maxBatch) {
        if (request.getInputsCount() != 1) {
            throw new InvalidRequestException("inputs must hold exactly one tensor ('" + inputName + "'), got "
                    + request.getInputsCount());
        }
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw new InvalidRequestException("raw_input_contents must have one entry per input (1), got "
                    + request.getRawInputContentsCount());
        }
        ModelInferRequest.InferInputTensor tensor = request.getInputs(0);
        long[] shape = tensor.getShapeList().stream().mapToLong(Long::longValue).toArray();
        ImageInput images = ImageInput.begin("inputs[0]", tensor.getName(), tensor.getDatatype(), shape, inputName,
                maxBatch);
        if (raw) {
            if (tensor.hasContents()) {
                throw new InvalidRequestException(images.field() + ": contents must be empty when "
                        + "raw_input_contents is used");
            }
            images.addRaw(request.getRawInputContents(0).toByteArray(), "raw_input_contents[0]");
        } else {
            addTyped(tensor.getContents(), images);
        }
        String id = request.getId().isEmpty() ? null : request.getId();
        return new Decoded(new InferCall(images.finish(), id, outputs(request)), raw);
    }

    private static void addTyped(InferTensorContents contents, ImageInput images) {
        if (images.datatype() == ImageInput.Datatype.FP32) {
            rejectOtherFields(contents, images, contents.getFp32ContentsCount(), "fp32_contents");
            checkCount(contents.getFp32ContentsCount(), images, "fp32_contents");
            for (int i = 0; i < contents.getFp32ContentsCount(); i++) {
                images.add(contents.getFp32Contents(i));
            }
        } else {
            rejectOtherFields(contents, images, contents.getUintContentsCount(), "uint_contents");
            checkCount(contents.getUintContentsCount(), images, "uint_contents");
            for (int i = 0; i < contents.getUintContentsCount(); i++) {
                images.add(Integer.toUnsignedLong(contents.getUintContents(i)));
            }
        }
    }

    /** Typed values in a field that does not match the datatype would otherwise be silently ignored. */
    private static void rejectOtherFields(InferTensorContents contents, ImageInput images, int expectedFieldCount,
                                          String expectedField) {
        int all = contents.getBoolContentsCount() + contents.getIntContentsCount() + contents.getInt64ContentsCount()
                + contents.getUintContentsCount() + contents.getUint64ContentsCount() + contents.getFp32ContentsCount()
                + contents.getFp64ContentsCount() + contents.getBytesContentsCount();
        if (all != expectedFieldCount) {
            throw new InvalidRequestException(images.field() + ": datatype " + images.datatype()
                    + " carries its values in contents." + expectedField + " or raw_input_contents, but other "
                    + "fields of contents are set");
        }
    }

    private static void checkCount(int count, ImageInput images, String field) {
        if (count > images.expectedCount()) {
            throw images.tooMany();
        }
        if (count < images.expectedCount()) {
            throw new InvalidRequestException(images.field() + ": contents." + field + " has " + count
                    + " values, but the shape needs " + images.expectedCount());
        }
    }

    private static Set<OutputKind> outputs(ModelInferRequest request) {
        if (request.getOutputsCount() == 0) {
            return OutputKind.DEFAULT;
        }
        Set<OutputKind> outputs = EnumSet.noneOf(OutputKind.class);
        for (int i = 0; i < request.getOutputsCount(); i++) {
            String field = "outputs[" + i + "].name";
            outputs.add(OutputKind.byName(request.getOutputs(i).getName(), field));
        }
        return outputs;
    }

    /** Builds the response for {@code served}. */
    static ModelInferResponse encode(Served served, ServingModel model, boolean raw) {
        InferenceResult result = served.result();
        ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
                .setModelName(model.name())
                .setModelVersion(model.version())
                .putParameters("policy", InferParameter.newBuilder().setStringParam(served.policy()).build())
                .putParameters("policy_table_version",
                        InferParameter.newBuilder().setInt64Param(served.tableVersion()).build())
                .putParameters("escalated", InferParameter.newBuilder().setInt64Param(result.escalated()).build());
        if (served.call().requestId() != null) {
            response.setId(served.call().requestId());
        }
        Set<OutputKind> outputs = served.call().outputs();
        if (outputs.contains(OutputKind.PROBABILITIES)) {
            ModelInferResponse.InferOutputTensor.Builder tensor = header(OutputKind.PROBABILITIES, "FP32",
                    OutputTensors.probabilitiesShape(result));
            float[] values = result.probabilities();
            if (raw) {
                ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(values);
                response.addRawOutputContents(ByteString.copyFrom(bytes.array()));
            } else {
                InferTensorContents.Builder contents = InferTensorContents.newBuilder();
                for (float v : values) {
                    contents.addFp32Contents(v);
                }
                tensor.setContents(contents);
            }
            response.addOutputs(tensor);
        }
        if (outputs.contains(OutputKind.LABEL)) {
            ModelInferResponse.InferOutputTensor.Builder tensor = header(OutputKind.LABEL, "INT64",
                    new long[] {result.batch()});
            long[] labels = OutputTensors.labels(result);
            if (raw) {
                ByteBuffer bytes = ByteBuffer.allocate(labels.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asLongBuffer().put(labels);
                response.addRawOutputContents(ByteString.copyFrom(bytes.array()));
            } else {
                InferTensorContents.Builder contents = InferTensorContents.newBuilder();
                for (long v : labels) {
                    contents.addInt64Contents(v);
                }
                tensor.setContents(contents);
            }
            response.addOutputs(tensor);
        }
        if (outputs.contains(OutputKind.ROUTED_EXPERTS)) {
            ModelInferResponse.InferOutputTensor.Builder tensor = header(OutputKind.ROUTED_EXPERTS, "INT32",
                    OutputTensors.routedExpertsShape(result, model));
            int[] experts = OutputTensors.routedExperts(result, model);
            if (raw) {
                ByteBuffer bytes = ByteBuffer.allocate(experts.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asIntBuffer().put(experts);
                response.addRawOutputContents(ByteString.copyFrom(bytes.array()));
            } else {
                InferTensorContents.Builder contents = InferTensorContents.newBuilder();
                for (int v : experts) {
                    contents.addIntContents(v);
                }
                tensor.setContents(contents);
            }
            response.addOutputs(tensor);
        }
        return response.build();
    }

    private static ModelInferResponse.InferOutputTensor.Builder header(OutputKind kind, String datatype, long[] shape) {
        ModelInferResponse.InferOutputTensor.Builder tensor = ModelInferResponse.InferOutputTensor.newBuilder()
                .setName(kind.tensorName())
                .setDatatype(datatype);
        for (long dim : shape) {
            tensor.addShape(dim);
        }
        return tensor;
    }
}
