package dev.moeserve.router.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PolicyFilesTest {

    @TempDir
    Path dir;

    @Test
    void jsonTableParses() throws Exception {
        Path file = dir.resolve("policies.json");
        Files.writeString(file, """
                {"arms": [{"policy": "agf-prior", "beta": 1.0, "weight": 90},
                          {"policy": "masked", "weight": 10}],
                 "shadow": {"policy": "topk"},
                 "stickyHeader": "x-user-id"}
                """);

        TableSpec spec = PolicyFiles.read(file);

        assertThat(spec.arms()).hasSize(2);
        assertThat(spec.arms().get(0)).isEqualTo(new PolicySpec("agf-prior", null, 90.0, 1.0, null, null));
        assertThat(spec.arms().get(1).policy()).isEqualTo("masked");
        assertThat(spec.shadow()).isEqualTo(PolicySpec.of("topk"));
        assertThat(spec.stickyHeader()).isEqualTo("x-user-id");
    }

    @Test
    void yamlTableParses() throws Exception {
        Path file = dir.resolve("policies.yaml");
        Files.writeString(file, """
                arms:
                  - policy: cascade
                    tau: 0.8
                    reduced: {policy: agf-prior, beta: 0.5}
                    weight: 1
                """);

        TableSpec spec = PolicyFiles.read(file);

        assertThat(spec.arms().get(0).tau()).isEqualTo(0.8);
        assertThat(spec.arms().get(0).reduced()).isEqualTo(new PolicySpec("agf-prior", null, null, 0.5, null, null));
    }

    @Test
    void unknownFieldIsNamedWithItsPath() {
        assertThatThrownBy(() -> parse("{\"arms\": [{\"policy\": \"agf-prior\", \"betta\": 1}]}"))
                .isInstanceOf(PolicyConfigException.class)
                .hasMessageContaining("test: arms[0]: unknown field 'betta'")
                .hasMessageContaining("beta");
    }

    @Test
    void wrongTypeIsNamedWithItsPath() {
        assertThatThrownBy(() -> parse("{\"arms\": [{\"policy\": \"masked\", \"weight\": \"ten\"}]}"))
                .isInstanceOf(PolicyConfigException.class)
                .hasMessageContaining("arms[0].weight");
    }

    @Test
    void duplicateKeyIsRejected() {
        assertThatThrownBy(() -> parse("{\"arms\": [], \"arms\": []}"))
                .isInstanceOf(PolicyConfigException.class)
                .hasMessageContaining("Duplicate field 'arms'");
    }

    @Test
    void malformedJsonIsRejected() {
        assertThatThrownBy(() -> parse("{\"arms\": ["))
                .isInstanceOf(PolicyConfigException.class)
                .hasMessageStartingWith("test: ")
                .hasMessageContaining("Unexpected end-of-input");
    }

    @Test
    void missingFileIsNamed() {
        Path missing = dir.resolve("absent.json");

        assertThatThrownBy(() -> PolicyFiles.read(missing))
                .isInstanceOf(PolicyConfigException.class)
                .hasMessageContaining("cannot read policies file " + missing);
    }

    @Test
    void tableWritesBackAsJson() {
        TableSpec spec = parse("{\"arms\": [{\"policy\": \"masked\", \"weight\": 3}], \"stickyHeader\": \"x-u\"}");

        assertThat(PolicyFiles.toJson(spec))
                .isEqualTo("{\"arms\":[{\"policy\":\"masked\",\"weight\":3.0}],\"stickyHeader\":\"x-u\"}");
    }

    private static TableSpec parse(String json) {
        return PolicyFiles.parseJson(json.getBytes(StandardCharsets.UTF_8), "test");
    }
}
