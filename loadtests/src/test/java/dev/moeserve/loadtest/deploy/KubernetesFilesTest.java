package dev.moeserve.loadtest.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moeserve.pool.OrtRuntime;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.moeserve.loadtest.deploy.DeploymentFiles.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the manifests in deploy/k8s: commands, ports, probes, Services, the policies ConfigMap, the
 * autoscaler and the Prometheus annotations.
 */
class KubernetesFilesTest {

    private static final String ROUTER = "moe-router";

    @Test
    void containerArgsParseWithTheirCommandLines() throws Exception {
        Map<String, JsonNode> containers = containers();

        assertThat(containers).containsKeys(ROUTER, "moe-expert-0", "moe-expert-1");
        containers.forEach((deployment, container) -> Commands.parse("deployment " + deployment,
                strings(container.path("args"))));
    }

    @Test
    void routerProbesUseKserveHealthPaths() throws Exception {
        JsonNode router = containers().get(ROUTER);
        String httpPort = Commands.value(Commands.parse(ROUTER, strings(router.path("args"))), "--http-port");

        assertThat(router.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/v2/health/ready");
        assertThat(router.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/v2/health/live");
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            String port = router.path(probe).path("httpGet").path("port").asText();
            assertThat(containerPort(router, port)).as("port of the router's %s", probe).isEqualTo(httpPort);
        }
    }

    @Test
    void routerContainerPortsMatchItsFlags() throws Exception {
        JsonNode router = containers().get(ROUTER);
        CommandLine.ParseResult parsed = Commands.parse(ROUTER, strings(router.path("args")));

        assertThat(Commands.value(parsed, "--host")).isEqualTo("0.0.0.0");
        assertThat(containerPort(router, "http")).isEqualTo(Commands.value(parsed, "--http-port"));
        assertThat(containerPort(router, "grpc")).isEqualTo(Commands.value(parsed, "--grpc-port"));
    }

    @Test
    void workerProbesUseGrpcHealthAndMetricsPort() throws Exception {
        for (String name : List.of("moe-expert-0", "moe-expert-1")) {
            JsonNode worker = containers().get(name);
            CommandLine.ParseResult parsed = Commands.parse(name, strings(worker.path("args")));

            assertThat(worker.path("readinessProbe").path("grpc").path("port").asText()).as("gRPC probe of %s", name)
                    .isEqualTo(Commands.value(parsed, "--port"));
            for (String probe : List.of("livenessProbe", "startupProbe")) {
                JsonNode get = worker.path(probe).path("httpGet");
                assertThat(get.path("path").asText()).as("%s of %s", probe, name).isEqualTo("/metrics");
                assertThat(containerPort(worker, get.path("port").asText())).as("%s port of %s", probe, name)
                        .isEqualTo(Commands.value(parsed, "--metrics-port"));
            }
            assertThat(containerPort(worker, "grpc")).isEqualTo(Commands.value(parsed, "--port"));
        }
    }

    @Test
    void workersServeShardsOfTheRoutersPool() throws Exception {
        String pool = Commands.value(Commands.parse(ROUTER, strings(containers().get(ROUTER).path("args"))), "--pool");
        List<String> shards = new ArrayList<>();

        for (String name : List.of("moe-expert-0", "moe-expert-1")) {
            List<String> args = strings(containers().get(name).path("args"));
            assertThat(Commands.value(Commands.parse(name, args), "--bundle")).isEqualTo(pool);
            shards.add(DeploymentFiles.flag(args, "--shard").orElse(""));
        }

        assertThat(shards).containsExactly("0/2", "1/2");
    }

    @Test
    void routerFindsWorkersThroughServices() throws Exception {
        List<JsonNode> objects = DeploymentFiles.kubernetesObjects();
        Map<String, JsonNode> containers = containers();
        String workers = Commands.value(Commands.parse(ROUTER, strings(containers.get(ROUTER).path("args"))),
                "--workers");

        for (String address : workers.split(",")) {
            String name = address.substring(0, address.lastIndexOf(':'));
            String port = address.substring(address.lastIndexOf(':') + 1);
            JsonNode service = DeploymentFiles.named(objects, "Service", name).orElseThrow(
                    () -> new AssertionError("no Service " + name + " for --workers address " + address));
            JsonNode servicePort = servicePort(service, port);
            JsonNode deployment = selectedDeployment(objects, service);
            JsonNode worker = containers.get(deployment.path("metadata").path("name").asText());

            assertThat(containerPort(worker, servicePort.path("targetPort").asText()))
                    .as("container port behind %s", address)
                    .isEqualTo(Commands.value(Commands.parse(name, strings(worker.path("args"))), "--port"));
        }
    }

    @Test
    void servicesSelectADeploymentAndNamedPorts() throws Exception {
        List<JsonNode> objects = DeploymentFiles.kubernetesObjects();

        for (JsonNode service : DeploymentFiles.ofKind(objects, "Service")) {
            JsonNode deployment = selectedDeployment(objects, service);
            JsonNode container = deployment.path("spec").path("template").path("spec").path("containers").path(0);
            for (JsonNode port : service.path("spec").path("ports")) {
                assertThat(containerPort(container, port.path("targetPort").asText()))
                        .as("targetPort %s of Service %s", port.path("targetPort").asText(),
                                service.path("metadata").path("name").asText())
                        .isNotNull();
            }
        }
    }

    @Test
    void prometheusAnnotationsPointAtMetrics() throws Exception {
        for (JsonNode deployment : DeploymentFiles.ofKind(DeploymentFiles.kubernetesObjects(), "Deployment")) {
            String name = deployment.path("metadata").path("name").asText();
            JsonNode annotations = deployment.path("spec").path("template").path("metadata").path("annotations");
            JsonNode container = deployment.path("spec").path("template").path("spec").path("containers").path(0);
            CommandLine.ParseResult parsed = Commands.parse(name, strings(container.path("args")));
            String metricsPort = parsed.commandSpec().name().equals("serve")
                    ? Commands.value(parsed, "--http-port") : Commands.value(parsed, "--metrics-port");

            assertThat(annotations.path("prometheus.io/scrape").asText()).as("scrape annotation of %s", name)
                    .isEqualTo("true");
            assertThat(annotations.path("prometheus.io/port").asText()).as("port annotation of %s", name)
                    .isEqualTo(metricsPort);
            assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo("/metrics");
        }
    }

    @Test
    void policiesConfigMapMountedAtPoliciesPath() throws Exception {
        List<JsonNode> objects = DeploymentFiles.kubernetesObjects();
        JsonNode deployment = DeploymentFiles.named(objects, "Deployment", ROUTER).orElseThrow();
        JsonNode router = containers().get(ROUTER);
        Path policies = Path.of(Commands.value(Commands.parse(ROUTER, strings(router.path("args"))), "--policies"));
        JsonNode mount = null;
        for (JsonNode candidate : router.path("volumeMounts")) {
            if (candidate.path("mountPath").asText().equals(policies.getParent().toString())) {
                mount = candidate;
            }
        }
        assertThat(mount).as("volume mounted at %s", policies.getParent()).isNotNull();
        String volumeName = mount.path("name").asText();
        JsonNode volume = null;
        for (JsonNode candidate : deployment.path("spec").path("template").path("spec").path("volumes")) {
            if (candidate.path("name").asText().equals(volumeName)) {
                volume = candidate;
            }
        }
        assertThat(volume).isNotNull();
        String configMapName = volume.path("configMap").path("name").asText();
        JsonNode configMap = DeploymentFiles.named(objects, "ConfigMap", configMapName).orElseThrow();

        assertThat(configMap.path("data").has(policies.getFileName().toString())).isTrue();
        assertThat(configMap.path("data").path(policies.getFileName().toString()).asText())
                .isEqualTo(Files.readString(DeploymentFiles.POLICIES));
    }

    @Test
    void autoscalerTargetsRouterDeployment() throws Exception {
        List<JsonNode> objects = DeploymentFiles.kubernetesObjects();
        JsonNode autoscaler = DeploymentFiles.ofKind(objects, "HorizontalPodAutoscaler").get(0);
        JsonNode target = autoscaler.path("spec").path("scaleTargetRef");

        assertThat(target.path("kind").asText()).isEqualTo("Deployment");
        assertThat(target.path("name").asText()).isEqualTo(ROUTER);
        assertThat(autoscaler.path("spec").path("minReplicas").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(autoscaler.path("spec").path("maxReplicas").asInt())
                .isGreaterThanOrEqualTo(autoscaler.path("spec").path("minReplicas").asInt());
        assertThat(DeploymentFiles.named(objects, "Deployment", ROUTER).orElseThrow().path("spec")
                .path("template").path("spec").path("containers").path(0).path("resources").path("requests")
                .has("cpu")).as("CPU request the autoscaler's utilization refers to").isTrue();
    }

    @Test
    void containersSetKnownEnvironment() throws Exception {
        for (JsonNode deployment : DeploymentFiles.ofKind(DeploymentFiles.kubernetesObjects(), "Deployment")) {
            String name = deployment.path("metadata").path("name").asText();
            JsonNode container = deployment.path("spec").path("template").path("spec").path("containers").path(0);
            Map<String, String> environment = new LinkedHashMap<>();
            container.path("env").forEach(variable -> environment.put(variable.path("name").asText(),
                    variable.path("value").asText(null)));

            assertThat(ComposeFileTest.KNOWN_ENVIRONMENT).as("environment of %s", name)
                    .containsAll(environment.keySet());
            assertThat(environment.get(OrtRuntime.TELEMETRY_VARIABLE)).as("telemetry switch of %s", name)
                    .isEqualTo("1");
            assertThat(container.path("image").asText()).as("image of %s", name).startsWith("moe-serving:");
        }
    }

    @Test
    void podsRunAsNonRoot() throws Exception {
        for (JsonNode deployment : DeploymentFiles.ofKind(DeploymentFiles.kubernetesObjects(), "Deployment")) {
            String name = deployment.path("metadata").path("name").asText();
            JsonNode pod = deployment.path("spec").path("template").path("spec");

            assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).as("runAsNonRoot of %s", name)
                    .isTrue();
            assertThat(pod.path("securityContext").path("runAsUser").asInt()).as("runAsUser of %s", name)
                    .isPositive();
        }
    }

    @Test
    void kustomizationListsEveryManifest() throws Exception {
        JsonNode kustomization = DeploymentFiles.yaml(DeploymentFiles.K8S.resolve("kustomization.yaml"));
        List<String> files = DeploymentFiles.kubernetesFiles().stream().map(file -> file.getFileName().toString())
                .filter(file -> !file.equals("kustomization.yaml")).toList();

        assertThat(strings(kustomization.path("resources"))).containsExactlyInAnyOrderElementsOf(files);
    }

    /** Returns the first container of every Deployment, by Deployment name. */
    private static Map<String, JsonNode> containers() throws Exception {
        Map<String, JsonNode> containers = new LinkedHashMap<>();
        for (JsonNode deployment : DeploymentFiles.ofKind(DeploymentFiles.kubernetesObjects(), "Deployment")) {
            containers.put(deployment.path("metadata").path("name").asText(),
                    deployment.path("spec").path("template").path("spec").path("containers").path(0));
        }
        return containers;
    }

    /** Returns the container port that {@code port} names or numbers, or null when there is none. */
    private static String containerPort(JsonNode container, String port) {
        for (JsonNode candidate : container.path("ports")) {
            String number = candidate.path("containerPort").asText();
            if (port.equals(candidate.path("name").asText()) || port.equals(number)) {
                return number;
            }
        }
        return null;
    }

    private static JsonNode servicePort(JsonNode service, String port) {
        for (JsonNode candidate : service.path("spec").path("ports")) {
            if (candidate.path("port").asText().equals(port)) {
                return candidate;
            }
        }
        throw new AssertionError("Service " + service.path("metadata").path("name").asText() + " has no port " + port);
    }

    /** Returns the Deployment whose pod labels include every label of the Service's selector. */
    private static JsonNode selectedDeployment(List<JsonNode> objects, JsonNode service) {
        JsonNode selector = service.path("spec").path("selector");
        List<JsonNode> matches = new ArrayList<>();
        for (JsonNode deployment : DeploymentFiles.ofKind(objects, "Deployment")) {
            JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
            boolean all = true;
            var fields = selector.fields();
            while (fields.hasNext()) {
                var label = fields.next();
                all &= label.getValue().asText().equals(labels.path(label.getKey()).asText());
            }
            if (all) {
                matches.add(deployment);
            }
        }
        assertThat(matches).as("Deployments selected by Service %s", service.path("metadata").path("name").asText())
                .hasSize(1);
        return matches.get(0);
    }
}
