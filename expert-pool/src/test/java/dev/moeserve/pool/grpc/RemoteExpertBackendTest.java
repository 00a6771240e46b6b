package dev.moeserve.pool.grpc;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.BackendFailureException;
import dev.moeserve.pool.ExpertFixtures;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.ExpertNotFoundException;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.ExpertSession;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.NativeRuntime;
import dev.moeserve.pool.OrtRuntime;
import dev.moeserve.pool.PoolMetrics;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.PoolOverloadedException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Routing, retries and failures of the gRPC client against real workers on loopback. */
class RemoteExpertBackendTest {

    private static final int WIDTH = ExpertFixtures.WIDTH;
    private static final ExpertId SHARED = new ExpertId(0, 1);
    private static final ExpertId ONLY_ON_SECOND = new ExpertId(1, 2);

    private static Bundle bundle;

    @BeforeAll
    static void writeBundle(@TempDir Path dir) {
        NativeRuntime.assumeOnnxRuntime();
        bundle = ExpertFixtures.writeBundle(dir, 2, 4);
    }

    @Test
    void callsSpreadOverWorkersWithTheExpert() throws Exception {
        try (ExpertWorkerServer first = worker(PoolOptions.defaults(), SHARED);
             ExpertWorkerServer second = worker(PoolOptions.defaults(), SHARED, ONLY_ON_SECOND);
             RemoteExpertBackend remote = RemoteExpertBackend.connect(List.of(first.address(), second.address()))) {
            assertThat(remote.experts()).containsExactlyInAnyOrder(SHARED, ONLY_ON_SECOND);
            assertThat(remote.weightBytes()).isEqualTo(first.pool().weightBytes() + second.pool().weightBytes());

            for (int call = 0; call < 6; call++) {
                remote.run(SHARED, ExpertFixtures.tokens(call, 1), 1, WIDTH).get(30, TimeUnit.SECONDS);
            }
            remote.run(ONLY_ON_SECOND, ExpertFixtures.tokens(9, 2), 2, WIDTH).get(30, TimeUnit.SECONDS);

            assertThat(tokensRun(first.pool(), SHARED)).isPositive();
            assertThat(tokensRun(second.pool(), SHARED)).isPositive();
            assertThat(tokensRun(first.pool(), SHARED) + tokensRun(second.pool(), SHARED)).isEqualTo(6);
            assertThat(tokensRun(second.pool(), ONLY_ON_SECOND)).isEqualTo(2);
        }
    }

    @Test
    void callsSucceedAfterOneWorkerStops() throws Exception {
        ExpertWorkerServer first = worker(PoolOptions.defaults(), SHARED);
        try (ExpertWorkerServer second = worker(PoolOptions.defaults(), SHARED);
             RemoteExpertBackend remote = RemoteExpertBackend.connect(List.of(first.address(), second.address()));
             ExpertSession direct = directSession(SHARED)) {
            first.close();

            for (int call = 0; call < 8; call++) {
                float[] tokens = ExpertFixtures.tokens(100 + call, 3);
                assertThat(remote.run(SHARED, tokens, 3, WIDTH).get(30, TimeUnit.SECONDS))
                        .as("outputs of call %d", call)
                        .containsExactly(direct.run(tokens, 3, WIDTH));
            }
            assertThat(tokensRun(second.pool(), SHARED)).isEqualTo(8 * 3);
        }
    }

    @Test
    void allWorkersDownNamesExpertAndWorkers() throws Exception {
        ExpertWorkerServer first = worker(PoolOptions.defaults(), SHARED);
        ExpertWorkerServer second = worker(PoolOptions.defaults(), SHARED);
        try (RemoteExpertBackend remote = RemoteExpertBackend.connect(List.of(first.address(), second.address()))) {
            first.close();
            second.close();

            CompletableFuture<float[]> call = remote.run(SHARED, ExpertFixtures.tokens(1, 1), 1, WIDTH);

            assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(BackendFailureException.class)
                    .hasMessageContaining("expert 0:1")
                    .hasMessageContaining(first.address())
                    .hasMessageContaining(second.address());
        }
    }

    @Test
    void expertNoWorkerHoldsIsNotFound() throws Exception {
        try (ExpertWorkerServer worker = worker(PoolOptions.defaults(), SHARED);
             RemoteExpertBackend remote = RemoteExpertBackend.connect(List.of(worker.address()))) {
            CompletableFuture<float[]> call = remote.run(ONLY_ON_SECOND, ExpertFixtures.tokens(1, 1), 1, WIDTH);

            assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(ExpertNotFoundException.class)
                    .hasMessageContaining("1:2")
                    .hasMessageContaining(worker.address());
        }
    }

    @Test
    void slowWorkerFailsAtTheDeadline() throws Exception {
        PoolOptions slow = PoolOptions.builder().batchWindow(PoolOptions.MAX_BATCH_WINDOW).build();
        RemoteOptions options = RemoteOptions.builder().callDeadline(Duration.ofMillis(100)).build();
        try (ExpertWorkerServer worker = worker(slow, SHARED);
             RemoteExpertBackend remote = RemoteExpertBackend.connect(List.of(worker.address()), options)) {
            CompletableFuture<float[]> call = remote.run(SHARED, ExpertFixtures.tokens(1, 1), 1, WIDTH);

            assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(BackendFailureException.class)
                    .hasMessageContaining("expert 0:1")
                    .hasMessageContaining("deadline 100 ms");
        }
    }

    @Test
    void overloadedEverywhereIsOverloaded() throws Exception {
        PoolOptions tiny = PoolOptions.builder().batchWindow(PoolOptions.MAX_BATCH_WINDOW).queueCapacity(1).build();
        try (ExpertWorkerServer worker = worker(tiny, SHARED);
             RemoteExpertBackend remote = RemoteExpertBackend.connect(List.of(worker.address()))) {
            CompletableFuture<float[]> waiting = remote.run(SHARED, ExpertFixtures.tokens(1, 1), 1, WIDTH);
            for (int attempt = 0; attempt < 3000 && worker.pool().queuedCalls() < 1; attempt++) {
                Thread.sleep(1);
            }

            CompletableFuture<float[]> rejected = remote.run(SHARED, ExpertFixtures.tokens(2, 1), 1, WIDTH);

            assertThatThrownBy(() -> rejected.get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(PoolOverloadedException.class)
                    .hasMessageContaining("RESOURCE_EXHAUSTED");
            assertThat(waiting.get(30, TimeUnit.SECONDS)).hasSize(WIDTH);
        }
    }

    @Test
    void probesTrackWorkerThatStopsAndReturns() throws Exception {
        RemoteOptions options = RemoteOptions.builder().probeInterval(Duration.ofMillis(100)).build();
        int port = freePort();
        try (ExpertWorkerServer first = worker(PoolOptions.defaults(), SHARED)) {
            ExpertWorkerServer second = worker(PoolOptions.defaults(), port, ONLY_ON_SECOND);
            try (RemoteExpertBackend remote = RemoteExpertBackend.connect(
                    List.of(first.address(), second.address()), options)) {
                java.util.Set<ExpertId> both = java.util.Set.of(SHARED, ONLY_ON_SECOND);
                assertThat(remote.unavailable(both)).isEmpty();

                second.close();
                awaitUnavailable(remote, both, java.util.Set.of(ONLY_ON_SECOND));

                second = worker(PoolOptions.defaults(), port, ONLY_ON_SECOND);
                awaitUnavailable(remote, both, java.util.Set.of());
                assertThat(remote.run(ONLY_ON_SECOND, ExpertFixtures.tokens(5, 2), 2, WIDTH).get(30, TimeUnit.SECONDS))
                        .hasSize(2 * WIDTH);
            } finally {
                second.close();
            }
        }
    }

    @Test
    void probesFindWorkerThatStartsLate() throws Exception {
        RemoteOptions options = RemoteOptions.builder().probeInterval(Duration.ofMillis(100)).build();
        String late = "127.0.0.1:" + freePort();
        try (ExpertWorkerServer first = worker(PoolOptions.defaults(), SHARED);
             RemoteExpertBackend remote = RemoteExpertBackend.connect(List.of(first.address(), late), options)) {
            assertThat(remote.experts()).containsExactly(SHARED);
            assertThat(remote.unavailable(java.util.Set.of(ONLY_ON_SECOND))).containsExactly(ONLY_ON_SECOND);

            try (ExpertWorkerServer second = worker(PoolOptions.defaults(),
                    Integer.parseInt(late.substring(late.indexOf(':') + 1)), ONLY_ON_SECOND)) {
                awaitUnavailable(remote, java.util.Set.of(ONLY_ON_SECOND), java.util.Set.of());
                assertThat(remote.experts()).containsExactlyInAnyOrder(SHARED, ONLY_ON_SECOND);
            }
        }
    }

    /** Waits up to 30 s for the probes to report {@code expected} as unavailable among {@code required}. */
    private static void awaitUnavailable(RemoteExpertBackend remote, java.util.Set<ExpertId> required,
                                         java.util.Set<ExpertId> expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!remote.unavailable(required).equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(remote.unavailable(required)).isEqualTo(expected);
    }

    @Test
    void connectFailsWhenNoWorkerResponds() throws IOException {
        String address = "127.0.0.1:" + freePort();

        assertThatThrownBy(() -> RemoteExpertBackend.connect(List.of(address)))
                .isInstanceOf(BackendFailureException.class)
                .hasMessageContaining("no expert worker responded to ListExperts")
                .hasMessageContaining(address);
    }

    @Test
    void malformedAddressIsRejected() {
        assertThatThrownBy(() -> RemoteExpertBackend.connect(List.of("localhost")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host:port");
    }

    private static ExpertWorkerServer worker(PoolOptions options, int port, ExpertId... experts) {
        LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.of(List.of(experts)), options);
        return ExpertWorkerServer.start(pool, WorkerOptions.builder().port(port).build());
    }

    private static ExpertWorkerServer worker(PoolOptions options, ExpertId... experts) {
        LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.of(List.of(experts)), options);
        return ExpertWorkerServer.start(pool, WorkerOptions.builder().port(0).build());
    }

    private static double tokensRun(LocalExpertPool pool, ExpertId id) {
        return pool.meterRegistry().get(PoolMetrics.TOKENS)
                .tags("layer", Integer.toString(id.layer()), "expert", Integer.toString(id.expert()))
                .counter().count();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static ExpertSession directSession(ExpertId id) throws Exception {
        try (var options = OrtRuntime.cpuSessionOptions()) {
            return new ExpertSession(id, Files.readAllBytes(bundle.expertFile(id.layer(), id.expert())), options);
        }
    }
}
