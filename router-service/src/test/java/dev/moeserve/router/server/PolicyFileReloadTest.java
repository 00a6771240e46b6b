package dev.moeserve.router.server;

import dev.moeserve.router.serving.ServingModel;
import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The policies file is read at start and reloaded when it changes; an invalid change keeps the table. */
@Timeout(300)
class PolicyFileReloadTest {

    @TempDir
    Path dir;

    @Test
    void fileChangesReplaceValidTables() throws Exception {
        Path full = TestBundles.writeFull(dir.resolve("full"), 6);
        Path reduced = TestBundles.writeReduced(dir.resolve("reduced"), 6);
        Path policies = dir.resolve("policies.yaml");
        Files.writeString(policies, "arms:\n  - policy: masked\n");

        try (RouterFixture router = RouterFixture.start(ServingModel.load(full, reduced), RouterFixture.options()
                .policiesFile(policies).policiesPollInterval(Duration.ofMillis(20)))) {
            assertThat(servedBy(router)).isEqualTo("masked");

            write(policies, "arms:\n  - policy: agf-prior\n    beta: 2.0\n", 1);
            waitFor(() -> router.server().policyTable().current().version() == 2);
            assertThat(servedBy(router)).isEqualTo("agf-prior");
            assertThat(router.server().policyTable().current().source()).isEqualTo("policies file " + policies);

            write(policies, "arms:\n  - policy: agf-prior\n", 2);
            waitFor(() -> rejectedSwaps(router) == 1.0);
            assertThat(router.server().policyTable().current().version()).isEqualTo(2);
            assertThat(servedBy(router)).isEqualTo("agf-prior");

            write(policies, "arms:\n  - policy: topk\n", 3);
            waitFor(() -> router.server().policyTable().current().version() == 3);
            assertThat(servedBy(router)).isEqualTo("topk");
        }
    }

    private static String servedBy(RouterFixture router) {
        return router.infer(TestImages.fp32Request(TestImages.floats(1, 1), 1)).getHeader("x-moe-policy");
    }

    private static double rejectedSwaps(RouterFixture router) {
        var counter = router.server().registry().find("moe.policy.swaps").tag("source", "file")
                .tag("outcome", "rejected").counter();
        return counter == null ? 0 : counter.count();
    }

    /** Writes {@code content} with a modification time {@code step} seconds ahead, so every write is seen. */
    private static void write(Path file, String content, int step) throws Exception {
        Files.writeString(file, content);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(step)));
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RouterFixture.WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition still false after %d s", RouterFixture.WAIT_SECONDS)
                    .isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
