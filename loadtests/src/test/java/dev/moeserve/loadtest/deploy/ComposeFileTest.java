package dev.moeserve.loadtest.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moeserve.pool.OrtRuntime;
import dev.moeserve.router.cli.ServeCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.moeserve.loadtest.deploy.DeploymentFiles.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks docker-compose.yml against the commands it runs, the image, the Prometheus configuration and
 * the files it mounts.
 */
class ComposeFileTest {

    /** Environment variables that something in the image reads. */
    static final Set<String> KNOWN_ENVIRONMENT = Set.of(OrtRuntime.TELEMETRY_VARIABLE, ServeCommand.ADMIN_TOKEN_ENV,
            "JAVA_OPTS");

    @Test
    void moeCommandsParseWithTheirCommandLines() throws Exception {
        Map<String, List<String>> commands = moeCommands();

        assertThat(commands).containsKeys("router", "worker-0", "worker-1");
        commands.forEach((service, command) -> Commands.parse("compose service " + service, command));
    }

    @Test
    void workersServeTwoShardsOfTheRoutersPool() throws Exception {
        Map<String, List<String>> commands = moeCommands();
        CommandLine.ParseResult router = Commands.parse("router", commands.get("router"));
        String pool = Commands.value(router, "--pool");
        List<String> shards = new ArrayList<>();

        for (String service : List.of("worker-0", "worker-1")) {
            CommandLine.ParseResult worker = Commands.parse(service, commands.get(service));
            assertThat(Commands.value(worker, "--bundle")).as("--bundle of %s", service).isEqualTo(pool);
            shards.add(DeploymentFiles.flag(commands.get(service), "--shard").orElse(""));
        }

        assertThat(shards).containsExactly("0/2", "1/2");
    }

    @Test
    void routerWorkersAddressWorkerServices() throws Exception {
        Map<String, List<String>> commands = moeCommands();
        String workers = Commands.value(Commands.parse("router", commands.get("router")), "--workers");

        assertThat(workers.split(",")).hasSize(2);
        for (String address : workers.split(",")) {
            String service = address.substring(0, address.lastIndexOf(':'));
            String port = address.substring(address.lastIndexOf(':') + 1);
            assertThat(commands).as("compose service behind --workers address %s", address).containsKey(service);
            CommandLine.ParseResult worker = Commands.parse(service, commands.get(service));
            assertThat(Commands.value(worker, "--port")).as("gRPC port of %s", service).isEqualTo(port);
            assertThat(Commands.value(worker, "--host")).as("bind address of %s", service).isEqualTo("0.0.0.0");
        }
    }

    @Test
    void routerPortsAndHealthCheckMatchItsFlags() throws Exception {
        JsonNode router = service("router");
        CommandLine.ParseResult parsed = Commands.parse("router", strings(router.path("command")));
        String http = Commands.value(parsed, "--http-port");
        String grpc = Commands.value(parsed, "--grpc-port");

        assertThat(Commands.value(parsed, "--host")).isEqualTo("0.0.0.0");
        assertThat(strings(router.path("ports"))).containsExactlyInAnyOrder("127.0.0.1:" + http + ":" + http,
                "127.0.0.1:" + grpc + ":" + grpc);
        assertThat(String.join(" ", strings(router.path("healthcheck").path("test"))))
                .contains("http://127.0.0.1:" + http + "/v2/health/ready");
    }

    @Test
    void workerHealthChecksUseMetricsPort() throws Exception {
        for (String name : List.of("worker-0", "worker-1")) {
            JsonNode worker = service(name);
            String metrics = Commands.value(Commands.parse(name, strings(worker.path("command"))), "--metrics-port");

            assertThat(String.join(" ", strings(worker.path("healthcheck").path("test"))))
                    .as("health check of %s", name).contains("http://127.0.0.1:" + metrics + "/metrics");
            assertThat(strings(worker.path("expose"))).as("ports of %s", name).contains(metrics);
        }
    }

    @Test
    void prometheusScrapesRouterAndWorkerMetricsPorts() throws Exception {
        Map<String, List<String>> commands = moeCommands();
        JsonNode config = DeploymentFiles.yaml(DeploymentFiles.PROMETHEUS);
        Map<String, List<String>> targets = new LinkedHashMap<>();
        for (JsonNode job : config.path("scrape_configs")) {
            List<String> jobTargets = new ArrayList<>();
            job.path("static_configs").forEach(group -> jobTargets.addAll(strings(group.path("targets"))));
            targets.put(job.path("job_name").asText(), jobTargets);
            assertThat(job.path("metrics_path").asText("/metrics")).isEqualTo("/metrics");
        }
        String routerPort = Commands.value(Commands.parse("router", commands.get("router")), "--http-port");
        List<String> workerTargets = new ArrayList<>();
        for (String worker : List.of("worker-0", "worker-1")) {
            workerTargets.add(worker + ":" + Commands.value(Commands.parse(worker, commands.get(worker)),
                    "--metrics-port"));
        }

        assertThat(targets.get("moe-router")).containsExactly("router:" + routerPort);
        assertThat(targets.get("moe-workers")).containsExactlyElementsOf(workerTargets);
        assertThat(strings(service("prometheus").path("volumes")))
                .contains("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
    }

    @Test
    void policiesFileIsMountedWhereRouterReadsIt() throws Exception {
        JsonNode router = service("router");
        String policies = Commands.value(Commands.parse("router", strings(router.path("command"))), "--policies");

        assertThat(strings(router.path("volumes"))).contains("./deploy/policies/policies.yaml:" + policies + ":ro");
    }

    @Test
    void mountedFilesExist() throws Exception {
        JsonNode services = DeploymentFiles.compose().path("services");
        List<String> missing = new ArrayList<>();
        services.fields().forEachRemaining(entry -> {
            for (String volume : strings(entry.getValue().path("volumes"))) {
                String source = volume.substring(0, volume.indexOf(':'));
                if (source.startsWith(".") && !Files.exists(DeploymentFiles.ROOT.resolve(source).normalize())) {
                    missing.add(entry.getKey() + ": " + source);
                }
            }
        });

        assertThat(missing).isEmpty();
    }

    @Test
    void grafanaMountsProvisioningAndDashboards() throws Exception {
        List<String> volumes = strings(service("grafana").path("volumes"));
        JsonNode provider = DeploymentFiles.yaml(
                DeploymentFiles.ROOT.resolve("deploy/grafana/provisioning/dashboards/moe.yml")).path("providers").path(0);
        String dashboards = provider.path("options").path("path").asText();

        assertThat(volumes).contains("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro",
                "./deploy/grafana/dashboards:" + dashboards + ":ro");
        assertThat(DeploymentFiles.ROOT.resolve("deploy/grafana/dashboards/moe.json")).isRegularFile();
        assertThat(DeploymentFiles.yaml(DeploymentFiles.ROOT.resolve(
                "deploy/grafana/provisioning/datasources/prometheus.yml")).path("datasources").path(0).path("url")
                .asText()).isEqualTo("http://prometheus:9090");
    }

    @Test
    void moeServicesSetOnlyKnownEnvironment() throws Exception {
        for (String name : moeCommands().keySet()) {
            JsonNode environment = service(name).path("environment");
            List<String> names = new ArrayList<>();
            environment.fieldNames().forEachRemaining(names::add);

            assertThat(KNOWN_ENVIRONMENT).as("environment of %s", name).containsAll(names);
            assertThat(environment.path(OrtRuntime.TELEMETRY_VARIABLE).asText()).as("telemetry switch of %s", name)
                    .isEqualTo("1");
        }
    }

    @Test
    void moeServicesUseTheImageOfTheDockerfile() throws Exception {
        for (String name : moeCommands().keySet()) {
            JsonNode service = service(name);

            assertThat(service.path("build").asText()).as("build context of %s", name).isEqualTo(".");
            assertThat(Path.of(service.path("image").asText()).toString()).startsWith("moe-serving:");
        }
    }

    private static JsonNode service(String name) throws Exception {
        JsonNode service = DeploymentFiles.compose().path("services").path(name);
        assertThat(service.isMissingNode()).as("compose service %s", name).isFalse();
        return service;
    }

    /** Returns the command of every service that runs serve or worker. */
    private static Map<String, List<String>> moeCommands() throws Exception {
        Map<String, List<String>> commands = new LinkedHashMap<>();
        DeploymentFiles.compose().path("services").fields().forEachRemaining(entry -> {
            List<String> command = strings(entry.getValue().path("command"));
            if (!command.isEmpty() && (command.get(0).equals(Commands.SERVE) || command.get(0).equals(Commands.WORKER))) {
                commands.put(entry.getKey(), command);
            }
        });
        return commands;
    }
}
