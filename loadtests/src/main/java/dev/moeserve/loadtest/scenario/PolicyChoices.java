package dev.moeserve.loadtest.scenario;

import dev.moeserve.router.policy.PolicySpec;

import java.util.List;
import java.util.Locale;

/** The routing policies the scenarios compare, built from the context's beta and tau. */
final class PolicyChoices {

    private PolicyChoices() {
    }

    /** Returns topk, masked, agf-prior with beta, and cascade (masked, then topk below tau). */
    static List<PolicySpec> all(BenchContext context) {
        return List.of(PolicySpec.of(PolicySpec.TOPK), PolicySpec.of(PolicySpec.MASKED), agfPrior(context),
                cascade(context));
    }

    static PolicySpec agfPrior(BenchContext context) {
        return new PolicySpec(PolicySpec.AGF_PRIOR, null, null, context.beta(), null, null);
    }

    static PolicySpec cascade(BenchContext context) {
        return new PolicySpec(PolicySpec.CASCADE, null, null, null, context.tau(), null);
    }

    /** Describes a spec in one cell: {@code agf-prior beta=1.0}. */
    static String describe(PolicySpec spec) {
        StringBuilder text = new StringBuilder(spec.policy());
        if (spec.beta() != null) {
            text.append(String.format(Locale.ROOT, " beta=%s", spec.beta()));
        }
        if (spec.tau() != null) {
            text.append(String.format(Locale.ROOT, " tau=%s, reduced stage masked", spec.tau()));
        }
        return text.toString();
    }
}
