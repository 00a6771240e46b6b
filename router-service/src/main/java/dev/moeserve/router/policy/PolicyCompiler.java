package dev.moeserve.router.policy;

import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.router.inference.Policies;
import dev.moeserve.router.inference.RoutingPolicy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Validates a {@link TableSpec} and builds its policies for one served model, its reduced pool and the
 * experts the backend holds. A table is rejected as a whole, with the first problem named by source,
 * field and value, for example {@code policies file p.json: arms[1].beta must be between 0 and 100.0,
 * got -1.0}. A policy that could route a token to an expert no backend holds is rejected here, so that
 * requests never find out one at a time.
 */
public final class PolicyCompiler {

    /** Policy names: lower case, digits, {@code . _ -}, at most 48 characters, so tag values stay short. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,47}");

    /** Header names that may carry the sticky key: HTTP token characters, at most 64. */
    private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}");

    private static final int MISSING_EXPERTS_SHOWN = 8;

    private final Manifest model;
    private final ReducedPool pool;
    private final Set<ExpertId> held;
    private final UnaryOperator<RoutingPolicy> decorator;

    /**
     * @param model     manifest of the served model
     * @param pool      the reduced pool, or null when only {@code topk} can be served
     * @param held      experts that the backend can run
     * @param decorator wraps every routing policy built, for example to time it; {@code identity()} for none
     */
    public PolicyCompiler(Manifest model, ReducedPool pool, Set<ExpertId> held,
                          UnaryOperator<RoutingPolicy> decorator) {
        this.model = model;
        this.pool = pool;
        this.held = Set.copyOf(held);
        this.decorator = decorator;
    }

    /** A validated table: arms with their weights, the optional shadow and the sticky header in lower case. */
    record Compiled(List<PolicyTable.Arm> arms, ServingPolicy shadow, String stickyHeader) {
    }

    /**
     * Most arms a table may have. Every arm's name becomes a metric tag value, so the limit also bounds the
     * series a table can create.
     */
    static final int MAX_ARMS = 16;

    /** Validates and builds {@code spec}; {@code source} names it in errors. */
    Compiled compile(TableSpec spec, String source) {
        if (spec.arms() == null || spec.arms().isEmpty()) {
            throw error(source, "arms must list at least one policy");
        }
        if (spec.arms().size() > MAX_ARMS) {
            throw error(source, "arms must list at most " + MAX_ARMS + " policies, got " + spec.arms().size());
        }
        Set<String> names = new HashSet<>();
        List<PolicyTable.Arm> arms = new ArrayList<>();
        double total = 0;
        for (int i = 0; i < spec.arms().size(); i++) {
            String path = "arms[" + i + "]";
            PolicySpec arm = spec.arms().get(i);
            if (arm == null) {
                throw error(source, path + " must be a policy, got null");
            }
            ServingPolicy policy = compile(arm, path, source);
            claimName(names, policy.name(), path, source);
            double weight = arm.weight() == null ? 1.0 : arm.weight();
            if (!Double.isFinite(weight) || weight < 0) {
                throw error(source, path + ".weight must be a finite number >= 0, got " + arm.weight());
            }
            total += weight;
            arms.add(new PolicyTable.Arm(policy.name(), weight, policy));
        }
        if (!(total > 0) || !Double.isFinite(total)) {
            throw error(source, "the weights of arms must add up to a finite number > 0, got " + total);
        }

        ServingPolicy shadow = null;
        if (spec.shadow() != null) {
            if (spec.shadow().weight() != null) {
                throw error(source, "shadow.weight is not allowed: the shadow gets a copy of every request");
            }
            shadow = compile(spec.shadow(), "shadow", source);
            claimName(names, shadow.name(), "shadow", source);
        }

        String sticky = spec.stickyHeader();
        if (sticky != null && !HEADER.matcher(sticky).matches()) {
            throw error(source, "stickyHeader must be an HTTP header name of at most 64 token characters, got '"
                    + sticky + "'");
        }
        return new Compiled(List.copyOf(arms), shadow, sticky == null ? null : sticky.toLowerCase(Locale.ROOT));
    }

    /** Builds one policy; {@code path} is its place in the table, for example {@code arms[0]}. */
    ServingPolicy compile(PolicySpec spec, String path, String source) {
        if (spec.policy() == null) {
            throw error(source, path + ".policy is required: one of topk, masked, agf-prior, cascade");
        }
        String name = spec.effectiveName();
        if (!NAME.matcher(name).matches()) {
            throw error(source, path + ".name must match " + NAME.pattern() + ", got '" + name + "'");
        }
        ServingPolicy policy = switch (spec.policy()) {
            case PolicySpec.TOPK -> topK(spec, name, path, source);
            case PolicySpec.MASKED -> masked(spec, name, path, source);
            case PolicySpec.AGF_PRIOR -> agfPrior(spec, name, path, source);
            case PolicySpec.CASCADE -> cascade(spec, name, path, source);
            default -> throw error(source, path + ".policy must be one of topk, masked, agf-prior, cascade, got '"
                    + spec.policy() + "'");
        };
        checkHeld(policy, path, source);
        return policy;
    }

    private RoutedPolicy topK(PolicySpec spec, String name, String path, String source) {
        forbid(spec.beta(), "beta", PolicySpec.AGF_PRIOR, path, source);
        forbid(spec.tau(), "tau", PolicySpec.CASCADE, path, source);
        forbid(spec.reduced(), "reduced", PolicySpec.CASCADE, path, source);
        int[] sizes = new int[model.layers().size()];
        for (int l = 0; l < sizes.length; l++) {
            sizes[l] = model.layer(l).experts();
        }
        return new RoutedPolicy(PolicySpec.TOPK, decorator.apply(Policies.topK(name)), sizes);
    }

    private RoutedPolicy masked(PolicySpec spec, String name, String path, String source) {
        forbid(spec.beta(), "beta", PolicySpec.AGF_PRIOR, path, source);
        forbid(spec.tau(), "tau", PolicySpec.CASCADE, path, source);
        forbid(spec.reduced(), "reduced", PolicySpec.CASCADE, path, source);
        ReducedPool reducedPool = requirePool(PolicySpec.MASKED, path, source);
        RoutingPolicy routing = Policies.masked(name, reducedPool.pools(), experts());
        return new RoutedPolicy(PolicySpec.MASKED, decorator.apply(routing), poolSizes(reducedPool));
    }

    private RoutedPolicy agfPrior(PolicySpec spec, String name, String path, String source) {
        forbid(spec.tau(), "tau", PolicySpec.CASCADE, path, source);
        forbid(spec.reduced(), "reduced", PolicySpec.CASCADE, path, source);
        if (spec.beta() == null) {
            throw error(source, path + ".beta is required for policy agf-prior");
        }
        if (!Double.isFinite(spec.beta()) || spec.beta() < 0 || spec.beta() > Policies.MAX_BETA) {
            throw error(source, path + ".beta must be between 0 and " + Policies.MAX_BETA + ", got " + spec.beta());
        }
        ReducedPool reducedPool = requirePool(PolicySpec.AGF_PRIOR, path, source);
        int missing = reducedPool.firstLayerWithoutPrior();
        if (missing >= 0) {
            throw error(source, path + ": policy agf-prior needs layers[].prior in the pool bundle "
                    + reducedPool.source() + ", which has none for layer " + missing);
        }
        RoutingPolicy routing = Policies.agfPrior(name, reducedPool.pools(), reducedPool.priors(), spec.beta(),
                experts());
        return new RoutedPolicy(PolicySpec.AGF_PRIOR, decorator.apply(routing), poolSizes(reducedPool));
    }

    private CascadePolicy cascade(PolicySpec spec, String name, String path, String source) {
        forbid(spec.beta(), "beta", PolicySpec.AGF_PRIOR + " (set it on reduced)", path, source);
        if (spec.tau() == null) {
            throw error(source, path + ".tau is required for policy cascade");
        }
        if (!(spec.tau() >= 0 && spec.tau() <= 1)) {
            throw error(source, path + ".tau must be between 0 and 1, got " + spec.tau());
        }
        PolicySpec first = spec.reduced() == null ? PolicySpec.of(PolicySpec.MASKED) : spec.reduced();
        String firstPath = path + ".reduced";
        if (first.name() != null || first.weight() != null) {
            throw error(source, firstPath + " takes neither name nor weight: it is served under the cascade's name");
        }
        RoutedPolicy reduced = switch (first.policy() == null ? "" : first.policy()) {
            case PolicySpec.MASKED -> masked(first, name, firstPath, source);
            case PolicySpec.AGF_PRIOR -> agfPrior(first, name, firstPath, source);
            default -> throw error(source, firstPath + ".policy must be masked or agf-prior, got '"
                    + first.policy() + "'");
        };
        RoutedPolicy full = topK(PolicySpec.of(PolicySpec.TOPK), name, path, source);
        return new CascadePolicy(name, reduced, full, spec.tau());
    }

    private ReducedPool requirePool(String kind, String path, String source) {
        if (pool == null) {
            throw error(source, path + ": policy " + kind + " needs a reduced pool; start the server with --pool "
                    + "REDUCED_BUNDLE or serve a reduced bundle, or use topk");
        }
        return pool;
    }

    private void checkHeld(ServingPolicy policy, String path, String source) {
        List<String> missing = new ArrayList<>();
        for (int l = 0; l < model.layers().size(); l++) {
            for (int e = 0; e < model.layer(l).experts(); e++) {
                if (policy.mayUse(l, e) && !held.contains(new ExpertId(l, e))) {
                    missing.add(l + ":" + e);
                }
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String shown = String.join(", ", missing.subList(0, Math.min(MISSING_EXPERTS_SHOWN, missing.size())));
        String more = missing.size() > MISSING_EXPERTS_SHOWN ? " and " + (missing.size() - MISSING_EXPERTS_SHOWN)
                + " more" : "";
        throw error(source, path + ": policy " + policy + " can route to experts that no backend holds (layer:expert "
                + shown + more + "); serve a policy restricted to the pool, or load a bundle or workers that "
                + "hold these experts");
    }

    private static void claimName(Set<String> names, String name, String path, String source) {
        if (!names.add(name)) {
            throw error(source, path + " is named '" + name + "' like another policy of the table; "
                    + "set a distinct \"name\"");
        }
    }

    private static void forbid(Object value, String field, String kind, String path, String source) {
        if (value != null) {
            throw error(source, path + "." + field + " applies only to policy " + kind);
        }
    }

    private int experts() {
        int max = 0;
        for (int l = 0; l < model.layers().size(); l++) {
            max = Math.max(max, model.layer(l).experts());
        }
        return max;
    }

    private static int[] poolSizes(ReducedPool reducedPool) {
        return reducedPool.pools().stream().mapToInt(List::size).toArray();
    }

    private static PolicyConfigException error(String source, String message) {
        return new PolicyConfigException(source + ": " + message);
    }
}
