package dev.moeserve.router.serving;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** The output tensors an inference response can carry. */
public enum OutputKind {

    /** Class probabilities, FP32 {@code [B, classes]}. */
    PROBABILITIES("probabilities"),

    /** Predicted class index, INT64 {@code [B]}. */
    LABEL("label"),

    /**
     * Experts chosen per image, layer, token and slot, INT32 {@code [B, layers, tokens, k]}; only when
     * requested, because it is larger than the other outputs together.
     */
    ROUTED_EXPERTS("routed_experts");

    /** Outputs returned to a request that names none. */
    public static final Set<OutputKind> DEFAULT = EnumSet.of(PROBABILITIES, LABEL);

    private final String tensorName;

    OutputKind(String tensorName) {
        this.tensorName = tensorName;
    }

    /** Returns the tensor name used in requests and responses. */
    public String tensorName() {
        return tensorName;
    }

    /**
     * Returns the output named {@code name}.
     *
     * @throws InvalidRequestException naming {@code field} and the known names when there is none
     */
    public static OutputKind byName(String name, String field) {
        for (OutputKind kind : values()) {
            if (kind.tensorName.equals(name)) {
                return kind;
            }
        }
        throw new InvalidRequestException(field + " must be one of " + names() + ", got '" + name + "'");
    }

    /** Returns the tensor names, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(OutputKind::tensorName).collect(Collectors.joining(", "));
    }
}
