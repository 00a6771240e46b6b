package dev.moeserve.router.serving;

import dev.moeserve.model.bundle.TensorSpec;

import java.util.List;

/**
 * The KServe v2 model metadata of a served model: its versions, platform and tensor signatures, with -1
 * for the batch dimension. The input also accepts {@code UINT8} and shape {@code [B, 784]}, which the
 * metadata format cannot express; see {@link ImageInput}.
 */
public record ModelMetadata(String name, List<String> versions, String platform, List<Tensor> inputs,
                            List<Tensor> outputs) {

    /** Platform name of ONNX models in the protocol's list of platforms. */
    public static final String PLATFORM = "onnx_onnxv1";

    /** Name, element type and shape of one tensor. */
    public record Tensor(String name, String datatype, List<Long> shape) {
    }

    /** Describes {@code model}. */
    public static ModelMetadata of(ServingModel model) {
        TensorSpec input = model.manifest().input();
        long classes = model.labels().size();
        long layers = model.manifest().layers().size();
        long tokens = model.manifest().tokens();
        List<Tensor> outputs = List.of(
                new Tensor(OutputKind.PROBABILITIES.tensorName(), "FP32", List.of(-1L, classes)),
                new Tensor(OutputKind.LABEL.tensorName(), "INT64", List.of(-1L)),
                new Tensor(OutputKind.ROUTED_EXPERTS.tensorName(), "INT32",
                        List.of(-1L, layers, tokens, (long) model.maxTopK())));
        return new ModelMetadata(model.name(), List.of(model.version()), PLATFORM,
                List.of(new Tensor(input.name(), input.datatype(), input.shape())), outputs);
    }

    /**
     * Checks that {@code name} and {@code version} (null or empty: any) identify the served model.
     *
     * @throws NotFoundException naming what is served instead
     */
    public void check(String requestedName, String requestedVersion) {
        if (!name.equals(requestedName)) {
            throw new NotFoundException("model '" + requestedName + "' is not served here; this server serves '"
                    + name + "'");
        }
        if (requestedVersion != null && !requestedVersion.isEmpty() && !versions.contains(requestedVersion)) {
            throw new NotFoundException("model '" + name + "' has no version '" + requestedVersion
                    + "'; versions served: " + String.join(", ", versions));
        }
    }
}
