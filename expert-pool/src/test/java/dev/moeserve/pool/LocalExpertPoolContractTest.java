package dev.moeserve.pool;

import dev.moeserve.model.bundle.Bundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The backend contract for the in-process pool. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalExpertPoolContractTest extends ExpertBackendContract {

    private Bundle bundle;
    private LocalExpertPool pool;
    private final Map<ExpertId, ExpertSession> direct = new HashMap<>();

    @BeforeAll
    void loadPool(@TempDir Path dir) throws Exception {
        NativeRuntime.assumeOnnxRuntime();
        bundle = ExpertFixtures.writeBundle(dir, 2, 4);
        pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.of(List.of(FIRST, SECOND, THIRD)),
                PoolOptions.defaults());
        try (var options = OrtRuntime.cpuSessionOptions()) {
            for (ExpertId id : pool.experts()) {
                byte[] onnx = Files.readAllBytes(bundle.expertFile(id.layer(), id.expert()));
                direct.put(id, new ExpertSession(id, onnx, options));
            }
        }
    }

    @AfterAll
    void closePool() {
        if (pool != null) {
            pool.close();
        }
        direct.values().forEach(ExpertSession::close);
    }

    @Override
    protected ExpertBackend backend() {
        return pool;
    }

    @Override
    protected float[] runDirectly(ExpertId id, float[] tokens, int tokenCount) throws Exception {
        return direct.get(id).run(tokens, tokenCount, WIDTH);
    }
}
