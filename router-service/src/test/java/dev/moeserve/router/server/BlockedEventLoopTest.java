package dev.moeserve.router.server;

import dev.moeserve.router.testing.RouterFixture;
import dev.moeserve.router.testing.TestBackends;
import dev.moeserve.router.testing.TestBundles;
import dev.moeserve.router.testing.TestImages;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.moeserve.router.testing.RouterFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * No event loop is blocked while the router serves inference, metrics and admin load. Vert.x's
 * blocked-thread checker reports every event-loop task that runs longer than the limit. The test
 * captures those reports, and first shows that a deliberately blocking task is caught.
 *
 * <p>In the second load phase every expert call blocks its thread for longer than the limit, so any wait
 * for an inference result on an event loop would be reported. NOTE: the check is timing-based by nature.
 * Once warmed up, the router's own event-loop tasks (paths, headers, body copies) take far less than the
 * 500 ms limit, but a stop-the-world pause of that length on an overloaded machine would be reported too.
 */
@Timeout(300)
class BlockedEventLoopTest {

    private static final Duration LIMIT = Duration.ofMillis(500);
    private static final long SLOW_EXPERT_MILLIS = 150;

    @TempDir
    Path dir;

    @Test
    void inferenceLoadNeverBlocksAnEventLoop() throws Exception {
        Path full = TestBundles.writeFull(dir.resolve("full"), 11);
        Path reduced = TestBundles.writeReduced(dir.resolve("reduced"), 11);
        TestBackends.Slow[] backend = new TestBackends.Slow[1];
        try (RouterFixture router = RouterFixture.start(
                TestBackends.model(full, reduced, pool -> backend[0] = new TestBackends.Slow(pool, SLOW_EXPERT_MILLIS)),
                RouterFixture.options().serverInstances(2).maxBatch(32).maxEventLoopExecuteTime(LIMIT)
                        .adminToken("t"))) {
            ConcurrentLinkedQueue<String> blocked = new ConcurrentLinkedQueue<>();
            ((VertxInternal) router.server().vertx()).blockedThreadChecker().setThreadBlockedHandler(event -> {
                if (event.thread().getName().contains("eventloop")) {
                    blocked.add(describe(event));
                }
            });

            blockOneEventLoop(router);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RouterFixture.WAIT_SECONDS);
            while (blocked.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(blocked).as("reports of the deliberately blocked event loop").isNotEmpty();

            runLoad(router, 4, 4);
            blocked.clear();
            runLoad(router, 32, 4);
            backend[0].slow.set(true);
            runLoad(router, 2, 2);

            assertThat(blocked).as("blocked event-loop reports under load").isEmpty();
        }
    }

    /** Describes a report with the blocked thread's stack at the time of the report. */
    private static String describe(BlockedThreadEvent event) {
        StringBuilder text = new StringBuilder(event.thread().getName() + " blocked for "
                + event.duration() / 1_000_000 + " ms at");
        for (StackTraceElement frame : event.thread().getStackTrace()) {
            text.append("\n    ").append(frame);
        }
        return text.toString();
    }

    /** Runs a task that sleeps for three times the limit on one of the router's event loops. */
    private static void blockOneEventLoop(RouterFixture router) throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        ((VertxInternal) router.server().vertx()).createEventLoopContext().runOnContext(v -> {
            try {
                Thread.sleep(LIMIT.toMillis() * 3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ran.countDown();
        });
        assertThat(ran.await(RouterFixture.WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * Sends {@code rounds} rounds of {@code inferences} concurrent 32-image requests with their routed
     * experts, plus a metrics scrape and an admin read per round.
     */
    private static void runLoad(RouterFixture router, int rounds, int inferences) {
        Buffer large = Buffer.buffer(TestImages.fp32NestedRequest(TestImages.floats(32, 1), 32)
                .put("outputs", new JsonArray().add(new JsonObject().put("name", "routed_experts"))).encode());
        for (int round = 0; round < rounds; round++) {
            List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
            for (int i = 0; i < inferences; i++) {
                calls.add(router.send(HttpMethod.POST, router.inferPath(), large, Map.of()));
            }
            calls.add(router.send(HttpMethod.GET, "/metrics", null, Map.of()));
            calls.add(router.send(HttpMethod.GET, "/admin/routing", null, Map.of("authorization", "Bearer t")));
            for (Future<HttpResponse<Buffer>> call : calls) {
                assertThat(await(call).statusCode()).isEqualTo(200);
            }
        }
    }
}
