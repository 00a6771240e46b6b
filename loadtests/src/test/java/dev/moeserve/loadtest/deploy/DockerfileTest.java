package dev.moeserve.loadtest.deploy;

import dev.moeserve.loadtest.deploy.DeploymentFiles.Instruction;
import dev.moeserve.pool.OrtRuntime;
import dev.moeserve.pool.cli.WorkerCommand;
import dev.moeserve.router.cli.ServeCommand;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks the Dockerfile: stages, copied files, the entry point, the command, the health check and the user. */
class DockerfileTest {

    @Test
    void buildsWithMavenAndRunsOnJre() throws Exception {
        List<Instruction> instructions = DeploymentFiles.dockerfile();
        List<Instruction> from = instructions.stream().filter(i -> i.keyword().equals("FROM")).toList();
        int last = from.size() - 1;

        assertThat(from).hasSizeGreaterThanOrEqualTo(2);
        assertThat(instructions).anyMatch(i -> i.stage() < last && i.keyword().equals("RUN") && i.rest().contains("mvn "));
        assertThat(instructions).anyMatch(i -> i.stage() == last && i.keyword().equals("RUN")
                && i.rest().contains("openjdk-17-jre-headless"));
        assertThat(instructions).noneMatch(i -> i.stage() == last && i.rest().contains("jdk-headless maven"));
    }

    @Test
    void copiedSourcesExistOutsideDockerignore() throws Exception {
        List<String> ignored = ignoredPatterns();
        List<String> problems = new ArrayList<>();
        for (String source : copySources()) {
            if (source.startsWith("models/")) {
                continue;
            }
            Path path = DeploymentFiles.ROOT.resolve(source);
            if (!Files.exists(path)) {
                problems.add(source + " does not exist");
            }
            for (String pattern : ignored) {
                if (excludes(pattern, source)) {
                    problems.add(source + " is excluded by .dockerignore pattern " + pattern);
                }
            }
        }

        assertThat(copySources()).isNotEmpty();
        assertThat(problems).isEmpty();
    }

    @Test
    void copiedBundlesExist() throws Exception {
        List<String> bundles = copySources().stream().filter(source -> source.startsWith("models/")).toList();
        assertThat(bundles).as("bundles copied into the image").hasSize(2);
        Assumptions.assumeTrue(Files.isDirectory(DeploymentFiles.ROOT.resolve("models")),
                "models/ is not in the repository yet, so the bundles the image copies cannot be checked");

        for (String bundle : bundles) {
            assertThat(DeploymentFiles.ROOT.resolve(bundle).resolve("manifest.json")).as("manifest of %s", bundle)
                    .isRegularFile();
        }
    }

    @Test
    void commandBundlePathsAreCopiedIntoImage() throws Exception {
        Map<String, String> copies = copies();
        List<String> command = execForm("CMD");
        CommandLine.ParseResult parsed = Commands.parse("Dockerfile CMD", command);
        List<String> paths = new ArrayList<>(List.of(Commands.value(parsed, "--bundle"), Commands.value(parsed, "--pool"),
                Commands.value(parsed, "--policies")));
        paths.addAll(bundlePathsOf(DeploymentFiles.compose()));

        for (String path : paths) {
            assertThat(copies.values()).as("files copied into the image; %s is used by a command", path).contains(path);
        }
    }

    @Test
    void entryPointRunsServeAndWorkerMainClasses() throws Exception {
        List<String> entryPoint = execForm("ENTRYPOINT");
        String script = Files.readString(DeploymentFiles.ENTRYPOINT);

        assertThat(copies()).containsEntry("deploy/docker/moe-entrypoint.sh", entryPoint.get(0));
        assertThat(Files.isExecutable(DeploymentFiles.ENTRYPOINT)).isTrue();
        assertThat(script).contains(Commands.SERVE + ") main=" + ServeCommand.class.getName());
        assertThat(script).contains(Commands.WORKER + ") main=" + WorkerCommand.class.getName());
        assertThat(script).contains("${JAVA_OPTS:-}");
    }

    @Test
    void healthCheckProbesRouterReadiness() throws Exception {
        String port = Commands.value(Commands.parse("Dockerfile CMD", execForm("CMD")), "--http-port");
        String healthCheck = instruction("HEALTHCHECK").rest();

        assertThat(healthCheck).contains("http://127.0.0.1:" + port + "/v2/health/ready");
        assertThat(instruction("EXPOSE").rest().split("\\s+")).contains(port, "8081", "9090", "9091");
    }

    @Test
    void disablesTelemetryAndRunsAsNonRoot() throws Exception {
        String env = instructionsOf("ENV").stream().map(Instruction::rest).reduce("", String::concat);
        String user = instruction("USER").rest().trim();
        int last = lastStage();

        assertThat(env).contains(OrtRuntime.TELEMETRY_VARIABLE + "=1");
        assertThat(user).isNotIn("0", "root");
        assertThat(instructionsOf("RUN").stream().filter(i -> i.stage() == last).map(Instruction::rest))
                .anyMatch(run -> run.contains("useradd") && run.contains("--uid " + user));
    }

    /**
     * Returns the repository-relative sources of the COPY instructions without --from, each with the path it
     * gets in the image: the target itself, or the target folder plus the source's name when the target
     * ends with a slash. Flags such as --chmod are skipped.
     */
    private static Map<String, String> copies() throws Exception {
        Map<String, String> copies = new LinkedHashMap<>();
        for (Instruction copy : instructionsOf("COPY")) {
            if (copy.rest().startsWith("--from")) {
                continue;
            }
            List<String> parts = new ArrayList<>();
            for (String part : copy.rest().split("\\s+")) {
                if (!part.startsWith("--")) {
                    parts.add(part);
                }
            }
            String target = parts.get(parts.size() - 1);
            for (String part : parts.subList(0, parts.size() - 1)) {
                String source = part.endsWith("/") ? part.substring(0, part.length() - 1) : part;
                copies.put(source, target.endsWith("/") ? target + Path.of(source).getFileName() : target);
            }
        }
        return copies;
    }

    private static List<String> copySources() throws Exception {
        return new ArrayList<>(copies().keySet());
    }

    private static List<String> bundlePathsOf(com.fasterxml.jackson.databind.JsonNode compose) {
        List<String> paths = new ArrayList<>();
        compose.path("services").forEach(service -> {
            List<String> command = DeploymentFiles.strings(service.path("command"));
            DeploymentFiles.flag(command, "--bundle").ifPresent(paths::add);
            DeploymentFiles.flag(command, "--pool").ifPresent(paths::add);
        });
        return paths;
    }

    private static List<String> ignoredPatterns() throws Exception {
        List<String> patterns = new ArrayList<>();
        for (String line : Files.readAllLines(DeploymentFiles.DOCKERIGNORE)) {
            String trimmed = line.trim();
            if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                patterns.add(trimmed);
            }
        }
        return patterns;
    }

    /** Returns whether a .dockerignore pattern of the simple forms used here (folders, {@code *}) excludes a path. */
    private static boolean excludes(String pattern, String source) {
        String folder = pattern.endsWith("/") ? pattern.substring(0, pattern.length() - 1) : pattern;
        if (folder.startsWith("**/")) {
            String name = folder.substring(3);
            return ("/" + source + "/").contains("/" + name + "/");
        }
        String regex = folder.replace(".", "\\.").replace("*", "[^/]*");
        return source.matches(regex) || source.matches(regex + "/.*");
    }

    private static List<String> execForm(String keyword) throws Exception {
        return instruction(keyword).execForm();
    }

    private static Instruction instruction(String keyword) throws Exception {
        int last = lastStage();
        List<Instruction> found = instructionsOf(keyword).stream().filter(i -> i.stage() == last).toList();
        assertThat(found).as("%s in the final stage", keyword).hasSize(1);
        return found.get(0);
    }

    private static List<Instruction> instructionsOf(String keyword) throws Exception {
        return DeploymentFiles.dockerfile().stream()
                .filter(i -> i.keyword().equals(keyword.toUpperCase(Locale.ROOT))).toList();
    }

    private static int lastStage() throws Exception {
        return DeploymentFiles.dockerfile().stream().mapToInt(Instruction::stage).max().orElse(0);
    }
}
