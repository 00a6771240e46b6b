package dev.moeserve.pool.cli;

import dev.moeserve.pool.ExecutionProvider;
import dev.moeserve.pool.ExpertFixtures;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.NativeRuntime;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.grpc.ExpertWorkerServer;
import dev.moeserve.pool.grpc.RemoteExpertBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class WorkerCommandTest {

    @Test
    void optionsMapToPoolOptions() {
        WorkerCommand command = parse("--bundle", "b", "--batch-window-us", "250", "--max-batch-tokens", "64",
                "--queue-capacity", "9", "--device", "cuda", "--cuda-device-id", "1", "--threads", "3");

        PoolOptions options = command.poolOptions();

        assertThat(options.batchWindow()).isEqualTo(Duration.ofNanos(250_000));
        assertThat(options.maxBatchTokens()).isEqualTo(64);
        assertThat(options.queueCapacity()).isEqualTo(9);
        assertThat(options.executionProvider()).isEqualTo(ExecutionProvider.CUDA);
        assertThat(options.cudaDeviceId()).isEqualTo(1);
        assertThat(options.intraOpThreads()).isEqualTo(3);
        assertThat(options.runnerThreads()).isEqualTo(3);
    }

    @Test
    void defaultsMatchTheDocumentedPorts() {
        WorkerCommand command = parse("--bundle", "b");

        assertThat(command.host).isEqualTo("127.0.0.1");
        assertThat(command.port).isEqualTo(9090);
        assertThat(command.metricsPort).isEqualTo(9091);
        assertThat(command.poolOptions().batchWindow()).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void shardAndExpertListExcludeEachOther() {
        StringWriter errors = new StringWriter();
        CommandLine commandLine = WorkerCommand.commandLine().setErr(new PrintWriter(errors));

        int exitCode = commandLine.execute("--bundle", "b", "--shard", "0/2", "--experts", "0:1");

        assertThat(exitCode).isEqualTo(2);
        assertThat(errors.toString()).contains("mutually exclusive");
    }

    @Test
    void invalidBundleFailsWithItsMessage(@TempDir Path dir) {
        StringWriter errors = new StringWriter();
        CommandLine commandLine = WorkerCommand.commandLine().setErr(new PrintWriter(errors));

        int exitCode = commandLine.execute("--bundle", dir.toString(), "--port", "0", "--metrics-port", "0");

        assertThat(exitCode).isEqualTo(1);
        assertThat(errors.toString()).contains("worker failed to start").contains("manifest.json");
    }

    @Test
    void startedWorkerServesTheSelectedShard(@TempDir Path dir) throws Exception {
        NativeRuntime.assumeOnnxRuntime();
        ExpertFixtures.writeBundle(dir, 2, 4);
        WorkerCommand command = parse("--bundle", dir.toString(), "--shard", "1/2", "--port", "0",
                "--metrics-port", "0");

        try (ExpertWorkerServer server = command.startServer();
             RemoteExpertBackend remote = RemoteExpertBackend.connect(List.of(server.address()))) {
            assertThat(remote.experts()).containsExactlyInAnyOrder(new ExpertId(1, 0), new ExpertId(1, 1),
                    new ExpertId(1, 2), new ExpertId(1, 3));
            assertThat(server.metricsPort()).isPresent();
            float[] outputs = remote.run(new ExpertId(1, 1), ExpertFixtures.tokens(1, 2), 2, ExpertFixtures.WIDTH)
                    .get(30, TimeUnit.SECONDS);
            assertThat(outputs).hasSize(2 * ExpertFixtures.WIDTH);
        }
    }

    private static WorkerCommand parse(String... args) {
        WorkerCommand command = new WorkerCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }
}
