package dev.moeserve.pool.grpc;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.ExpertBackend;
import dev.moeserve.pool.ExpertBackendContract;
import dev.moeserve.pool.ExpertFixtures;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.ExpertSession;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.NativeRuntime;
import dev.moeserve.pool.OrtRuntime;
import dev.moeserve.pool.PoolOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The backend contract for the gRPC client, talking to a real worker on loopback. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteExpertBackendContractTest extends ExpertBackendContract {

    private ExpertWorkerServer worker;
    private RemoteExpertBackend remote;
    private final Map<ExpertId, ExpertSession> direct = new HashMap<>();

    @BeforeAll
    void startWorker(@TempDir Path dir) throws Exception {
        NativeRuntime.assumeOnnxRuntime();
        Bundle bundle = ExpertFixtures.writeBundle(dir, 2, 4);
        LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.of(List.of(FIRST, SECOND, THIRD)),
                PoolOptions.defaults());
        worker = ExpertWorkerServer.start(pool, WorkerOptions.builder().port(0).build());
        remote = RemoteExpertBackend.connect(List.of(worker.address()));
        try (var options = OrtRuntime.cpuSessionOptions()) {
            for (ExpertId id : pool.experts()) {
                byte[] onnx = Files.readAllBytes(bundle.expertFile(id.layer(), id.expert()));
                direct.put(id, new ExpertSession(id, onnx, options));
            }
        }
    }

    @AfterAll
    void stopWorker() {
        if (remote != null) {
            remote.close();
        }
        if (worker != null) {
            worker.close();
        }
        direct.values().forEach(ExpertSession::close);
    }

    @Override
    protected ExpertBackend backend() {
        return remote;
    }

    @Override
    protected float[] runDirectly(ExpertId id, float[] tokens, int tokenCount) throws Exception {
        return direct.get(id).run(tokens, tokenCount, WIDTH);
    }
}
