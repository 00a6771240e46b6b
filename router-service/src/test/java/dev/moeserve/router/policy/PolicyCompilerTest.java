package dev.moeserve.router.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PolicyCompilerTest {

    private static final PolicyCompiler FULL = PolicyTestModels.compiler(PolicyTestModels.poolWithPriors(),
            PolicyTestModels.allExperts());

    static Stream<Arguments> invalidTables() {
        PolicySpec masked = PolicySpec.of("masked");
        return Stream.of(
                Arguments.of(new TableSpec(List.of(), null, null), "arms must list at least one policy"),
                Arguments.of(new TableSpec(java.util.stream.IntStream.range(0, 17)
                        .mapToObj(i -> PolicySpec.of("topk").withName("arm" + i)).toList(), null, null),
                        "arms must list at most 16 policies, got 17"),
                Arguments.of(TableSpec.single(PolicySpec.of(null)), "arms[0].policy is required"),
                Arguments.of(TableSpec.single(PolicySpec.of("random")),
                        "arms[0].policy must be one of topk, masked, agf-prior, cascade, got 'random'"),
                Arguments.of(TableSpec.single(PolicySpec.of("agf-prior")),
                        "arms[0].beta is required for policy agf-prior"),
                Arguments.of(TableSpec.single(new PolicySpec("agf-prior", null, null, -1.0, null, null)),
                        "arms[0].beta must be between 0 and 100.0, got -1.0"),
                Arguments.of(TableSpec.single(new PolicySpec("agf-prior", null, null, 1e40, null, null)),
                        "arms[0].beta must be between 0 and 100.0, got 1.0E40"),
                Arguments.of(TableSpec.single(new PolicySpec("masked", null, null, 1.0, null, null)),
                        "arms[0].beta applies only to policy agf-prior"),
                Arguments.of(TableSpec.single(PolicySpec.of("cascade")), "arms[0].tau is required for policy cascade"),
                Arguments.of(TableSpec.single(new PolicySpec("cascade", null, null, null, 1.5, null)),
                        "arms[0].tau must be between 0 and 1, got 1.5"),
                Arguments.of(TableSpec.single(new PolicySpec("cascade", null, null, null, 0.5, PolicySpec.of("topk"))),
                        "arms[0].reduced.policy must be masked or agf-prior, got 'topk'"),
                Arguments.of(TableSpec.single(new PolicySpec("topk", null, null, null, 0.5, null)),
                        "arms[0].tau applies only to policy cascade"),
                Arguments.of(TableSpec.single(masked.withWeight(-1)), "arms[0].weight must be a finite number >= 0"),
                Arguments.of(new TableSpec(List.of(masked.withWeight(0), PolicySpec.of("topk").withWeight(0)), null,
                        null), "the weights of arms must add up to a finite number > 0, got 0.0"),
                Arguments.of(new TableSpec(List.of(masked, masked), null, null),
                        "arms[1] is named 'masked' like another policy of the table; set a distinct \"name\""),
                Arguments.of(new TableSpec(List.of(PolicySpec.of("topk")), PolicySpec.of("topk"), null),
                        "shadow is named 'topk' like another policy"),
                Arguments.of(new TableSpec(List.of(masked), PolicySpec.of("topk").withWeight(1), null),
                        "shadow.weight is not allowed"),
                Arguments.of(TableSpec.single(masked.withName("Has Space")),
                        "arms[0].name must match [a-z0-9][a-z0-9._-]{0,47}, got 'Has Space'"),
                Arguments.of(new TableSpec(List.of(masked), null, "x user"),
                        "stickyHeader must be an HTTP header name"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalidTables")
    void invalidTableIsRejectedWithItsField(TableSpec spec, String message) {
        assertThatThrownBy(() -> FULL.compile(spec, "test"))
                .isInstanceOf(PolicyConfigException.class)
                .hasMessageStartingWith("test: ")
                .hasMessageContaining(message);
    }

    @Test
    void poolPoliciesNeedAPool() {
        PolicyCompiler noPool = PolicyTestModels.compiler(null, PolicyTestModels.allExperts());

        for (String kind : List.of("masked", "agf-prior", "cascade")) {
            PolicySpec spec = new PolicySpec(kind, null, null, kind.equals("agf-prior") ? 1.0 : null,
                    kind.equals("cascade") ? 0.5 : null, null);
            assertThatThrownBy(() -> noPool.compile(TableSpec.single(spec), "test"))
                    .as(kind)
                    .hasMessageContaining("needs a reduced pool; start the server with --pool");
        }
        assertThat(noPool.compile(TableSpec.single(PolicySpec.of("topk")), "test").arms()).hasSize(1);
    }

    @Test
    void agfPriorNeedsPriors() {
        PolicyCompiler withoutPriors = PolicyTestModels.compiler(PolicyTestModels.poolWithoutPriors(),
                PolicyTestModels.allExperts());

        assertThatThrownBy(() -> withoutPriors.compile(
                TableSpec.single(new PolicySpec("agf-prior", null, null, 1.0, null, null)), "test"))
                .hasMessageContaining("needs layers[].prior in the pool bundle pool-bundle, "
                        + "which has none for layer 0");
    }

    @Test
    void policyNeedingUnheldExpertIsRejected() {
        PolicyCompiler poolOnly = PolicyTestModels.compiler(PolicyTestModels.poolWithPriors(),
                PolicyTestModels.poolExperts());

        assertThatThrownBy(() -> poolOnly.compile(TableSpec.single(PolicySpec.of("topk")), "test"))
                .hasMessageContaining("can route to experts that no backend holds (layer:expert 0:1, 0:3, 1:0, 1:2)");
        assertThatThrownBy(() -> poolOnly.compile(TableSpec.single(
                new PolicySpec("cascade", null, null, null, 0.5, null)), "test"))
                .hasMessageContaining("no backend holds");
        assertThat(poolOnly.compile(TableSpec.single(PolicySpec.of("masked")), "test").arms()).hasSize(1);
    }

    @Test
    void compiledPoliciesKeepToTheirPools() {
        PolicyCompiler.Compiled compiled = FULL.compile(new TableSpec(List.of(
                PolicySpec.of("topk"),
                PolicySpec.of("masked"),
                new PolicySpec("agf-prior", null, null, 2.0, null, null),
                new PolicySpec("cascade", "cascade-agf", null, null, 0.7,
                        new PolicySpec("agf-prior", null, null, 1.0, null, null))), null, "X-User-Id"), "test");

        assertThat(compiled.stickyHeader()).isEqualTo("x-user-id");
        assertThat(compiled.arms()).extracting(PolicyTable.Arm::name)
                .containsExactly("topk", "masked", "agf-prior", "cascade-agf");
        ServingPolicy topk = compiled.arms().get(0).policy();
        ServingPolicy masked = compiled.arms().get(1).policy();
        ServingPolicy cascade = compiled.arms().get(3).policy();
        for (int e = 0; e < 4; e++) {
            assertThat(topk.mayUse(0, e)).as("topk, expert 0:%d", e).isTrue();
            assertThat(masked.mayUse(0, e)).as("masked, expert 0:%d", e).isEqualTo(e == 0 || e == 2);
            assertThat(cascade.mayUse(1, e)).as("cascade, expert 1:%d", e).isTrue();
        }
        assertThat(masked.poolSize(1)).isEqualTo(2);
        assertThat(topk.poolSize(1)).isEqualTo(4);
        assertThat(cascade.poolSize(0)).isEqualTo(2);
        assertThat(cascade.kind()).isEqualTo("cascade");
    }
}
