package dev.moeserve.router.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One routing policy as written in a policies file or an admin request.
 *
 * @param policy  kind: {@code topk}, {@code masked}, {@code agf-prior} or {@code cascade}
 * @param name    label in metrics and the {@code x-moe-policy} header; null means the kind
 * @param weight  share of traffic relative to the other arms, at least 0; null means 1. Not allowed
 *                on the shadow or on a cascade's {@code reduced} stage
 * @param beta    {@code agf-prior} only, required: the prior's weight, finite and at least 0
 * @param tau     {@code cascade} only, required: images whose top-1 probability is below tau are
 *                served again with the full pool; in [0, 1]
 * @param reduced {@code cascade} only: the first stage, {@code masked} or {@code agf-prior}; null means
 *                {@code masked}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"policy", "name", "weight", "beta", "tau", "reduced"})
public record PolicySpec(String policy, String name, Double weight, Double beta, Double tau, PolicySpec reduced) {

    public static final String TOPK = "topk";
    public static final String MASKED = "masked";
    public static final String AGF_PRIOR = "agf-prior";
    public static final String CASCADE = "cascade";

    /** Returns a spec of {@code kind} with every optional field unset. */
    public static PolicySpec of(String kind) {
        return new PolicySpec(kind, null, null, null, null, null);
    }

    /** Returns the name, or the kind when no name is set. */
    public String effectiveName() {
        return name != null ? name : policy;
    }

    /** Returns a copy with {@code weight} replaced. */
    public PolicySpec withWeight(double newWeight) {
        return new PolicySpec(policy, name, newWeight, beta, tau, reduced);
    }

    /** Returns a copy with {@code name} replaced. */
    public PolicySpec withName(String newName) {
        return new PolicySpec(policy, newName, weight, beta, tau, reduced);
    }
}
