package dev.moeserve.loadtest.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.moeserve.loadtest.testing.RepositoryFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Reads the deployment files of the repository: docker-compose.yml, the Dockerfile and deploy/k8s. */
final class DeploymentFiles {

    static final Path ROOT = RepositoryFiles.root();
    static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
    static final Path DOCKERFILE = ROOT.resolve("Dockerfile");
    static final Path DOCKERIGNORE = ROOT.resolve(".dockerignore");
    static final Path K8S = ROOT.resolve("deploy/k8s");
    static final Path PROMETHEUS = ROOT.resolve("deploy/prometheus/prometheus.yml");
    static final Path POLICIES = ROOT.resolve("deploy/policies/policies.yaml");
    static final Path ENTRYPOINT = ROOT.resolve("deploy/docker/moe-entrypoint.sh");

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeploymentFiles() {
    }

    static JsonNode compose() throws IOException {
        return YAML.readTree(COMPOSE.toFile());
    }

    static JsonNode yaml(Path file) throws IOException {
        return YAML.readTree(file.toFile());
    }

    /** Returns every document of every YAML file in deploy/k8s. */
    static List<JsonNode> kubernetesObjects() throws IOException {
        List<JsonNode> objects = new ArrayList<>();
        for (Path file : kubernetesFiles()) {
            try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
                while (documents.hasNext()) {
                    JsonNode document = documents.next();
                    if (document != null && !document.isEmpty()) {
                        objects.add(document);
                    }
                }
            }
        }
        return objects;
    }

    static List<Path> kubernetesFiles() throws IOException {
        try (Stream<Path> files = Files.list(K8S)) {
            return files.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** Returns the objects of {@code kind}. */
    static List<JsonNode> ofKind(List<JsonNode> objects, String kind) {
        return objects.stream().filter(object -> kind.equals(object.path("kind").asText())).toList();
    }

    /** Returns the object of {@code kind} named {@code name}. */
    static Optional<JsonNode> named(List<JsonNode> objects, String kind, String name) {
        return ofKind(objects, kind).stream()
                .filter(object -> name.equals(object.path("metadata").path("name").asText()))
                .findFirst();
    }

    /** Returns a JSON or YAML array of strings as a list. */
    static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }

    /** Returns the value of {@code --flag VALUE} or {@code --flag=VALUE} in {@code args}, or empty. */
    static Optional<String> flag(List<String> args, String name) {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals(name) && i + 1 < args.size()) {
                return Optional.of(args.get(i + 1));
            }
            if (arg.startsWith(name + "=")) {
                return Optional.of(arg.substring(name.length() + 1));
            }
        }
        return Optional.empty();
    }

    /**
     * One Dockerfile instruction with its continuation lines joined.
     *
     * @param keyword the instruction in upper case, for example {@code COPY}
     * @param rest    everything after the keyword
     * @param stage   index of the build stage, from 0, counted by {@code FROM}
     */
    record Instruction(String keyword, String rest, int stage) {

        /** Parses the JSON-array (exec) form of CMD and ENTRYPOINT. */
        List<String> execForm() throws IOException {
            return strings(JSON.readTree(rest));
        }
    }

    /** Returns the Dockerfile's instructions, without comments and parser directives. */
    static List<Instruction> dockerfile() throws IOException {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        int stage = -1;
        for (String line : Files.readAllLines(DOCKERFILE)) {
            String trimmed = line.trim();
            if (pending.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
                continue;
            }
            if (trimmed.startsWith("#")) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                pending.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            pending.append(trimmed);
            String text = pending.toString().trim();
            pending.setLength(0);
            int space = text.indexOf(' ');
            String keyword = (space < 0 ? text : text.substring(0, space)).toUpperCase(java.util.Locale.ROOT);
            if (keyword.equals("FROM")) {
                stage++;
            }
            instructions.add(new Instruction(keyword, space < 0 ? "" : text.substring(space + 1).trim(), stage));
        }
        return instructions;
    }
}
