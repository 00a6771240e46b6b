package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.Endpoint;
import dev.moeserve.loadtest.engine.LoadLevel;
import dev.moeserve.loadtest.engine.LoadRunner;
import dev.moeserve.loadtest.engine.LoadSettings;
import dev.moeserve.model.progress.ProgressLine;
import dev.moeserve.loadtest.report.BenchReport;
import dev.moeserve.loadtest.report.ResultTable;
import dev.moeserve.loadtest.testing.TinyBundles;
import dev.moeserve.model.ProjectHome;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every scenario end to end on the tiny bundles, with windows of 200 ms, and checks the reports:
 * one row per configuration, requests served, no errors, complete replays.
 */
class ScenariosTest {

    private static final int REPLAY_IMAGES = 48;

    @TempDir
    static Path root;

    private static TinyBundles.Pair bundles;
    private static Vertx vertx;

    @BeforeAll
    static void writeBundles() {
        bundles = TinyBundles.write(root);
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void loadSweepsInProcessRouterOverBothProtocols() {
        BenchReport report = Scenarios.byName("load").run(context(List.of(Protocol.HTTP, Protocol.GRPC), null, null));

        ResultTable table = report.tables().get(0);
        assertThat(table.rows()).hasSize(4);
        assertServedWithoutErrors(table);
        assertThat(column(table, "protocol")).containsExactly("http", "http", "grpc", "grpc");
        assertThat(column(table, "load")).containsExactly("c=1", "c=2", "c=1", "c=2");
    }

    @Test
    void loadSendsToRunningTarget() {
        try (InProcessRouter router = InProcessRouter.start(bundles.full(), null, List.of(), List.of("--threads", "2"))) {
            BenchContext context = context(List.of(Protocol.GRPC), router.http(), router.grpc());

            BenchReport report = Scenarios.byName("load").run(context);

            assertServedWithoutErrors(report.tables().get(0));
            assertThat(String.join("\n", report.toMarkdown())).contains("router already running at " + router.http());
        }
    }

    @Test
    void poolsComparesFullAndReducedExperts() {
        BenchReport report = Scenarios.byName("pools").run(context(List.of(Protocol.HTTP), null, null));

        ResultTable table = report.tables().get(0);
        assertServedWithoutErrors(table);
        assertThat(column(table, "pool")).containsExactly("full", "full", "keep-0.5", "keep-0.5");
        assertThat(column(table, "policy")).containsExactly("topk", "topk", "masked", "masked");
        assertThat(column(table, "experts")).containsExactly("8", "8", "4", "4");
        assertThat(report.tables().get(1).rows()).hasSize(2);
    }

    @Test
    void policiesMeasuresEveryPolicy() {
        BenchReport report = Scenarios.byName("policies").run(context(List.of(Protocol.HTTP), null, null));

        ResultTable table = report.tables().get(0);
        assertServedWithoutErrors(table);
        assertThat(column(table, "policy")).extracting(policy -> policy.split(" ")[0]).containsExactly("topk", "topk",
                "masked", "masked", "agf-prior", "agf-prior", "cascade", "cascade");
        assertThat(column(table, "pool size per layer")).containsExactly("4/4", "4/4", "2/2", "2/2", "2/2", "2/2",
                "2/2", "2/2");
        assertThat(column(table, "escalated images").get(6)).endsWith("%");
    }

    @Test
    void replayServesEveryImageOncePerPolicy() {
        BenchReport report = Scenarios.byName("replay").run(context(List.of(Protocol.GRPC), null, null));

        ResultTable table = report.tables().get(0);
        assertThat(table.rows()).hasSize(4);
        assertThat(column(table, "images")).containsOnly(Integer.toString(REPLAY_IMAGES));
        assertThat(column(table, "errors")).containsOnly("0");
        assertThat(column(table, "complete")).containsOnly("yes");
        assertThat(column(table, "accuracy")).allMatch(cell -> cell.endsWith("%"));
    }

    @Test
    void abSplitsImagesBetweenArms() {
        BenchReport report = Scenarios.byName("ab").run(context(List.of(Protocol.HTTP), null, null));

        ResultTable table = report.tables().get(0);
        assertThat(column(table, "arm")).containsExactly("agf-prior", "masked");
        long images = column(table, "images").stream().mapToLong(Long::parseLong).sum();
        assertThat(images).isEqualTo(REPLAY_IMAGES);
        assertThat(column(table, "agreement with shadow topk")).allMatch(cell -> cell.endsWith("%"));
        assertThat(report.notes()).anyMatch(note -> note.contains("z-test"));
    }

    @Test
    void remoteComparesInProcessAndWorkers() {
        BenchReport report = Scenarios.byName("remote").run(context(List.of(Protocol.HTTP), null, null));

        ResultTable table = report.tables().get(0);
        assertServedWithoutErrors(table);
        assertThat(column(table, "experts")).containsExactly("in process", "in process", "2 remote workers",
                "2 remote workers");
    }

    @Test
    void bareReportsServiceRatio() {
        BenchReport report = Scenarios.byName("bare").run(context(List.of(Protocol.HTTP), null, null));

        ResultTable table = report.tables().get(0);
        assertServedWithoutErrors(table);
        assertThat(column(table, "path")).containsExactly("bare pipeline", "bare pipeline", "service http",
                "service http");
        ResultTable ratios = report.tables().get(1);
        assertThat(ratios.title()).contains("Service relative to bare");
        assertThat(column(ratios, "throughput ratio")).allMatch(cell -> cell.matches("\\d+\\.\\d{2}"));
    }

    private static BenchContext context(List<Protocol> protocols, Endpoint target, Endpoint grpcTarget) {
        LoadSettings settings = LoadSettings.builder()
                .warmup(Duration.ofMillis(100))
                .window(Duration.ofMillis(200))
                .stableWindows(2)
                .maxWindows(3)
                .requestTimeout(Duration.ofSeconds(20))
                .build();
        Path data = ProjectHome.path("data/fashion-mnist");
        if (!Files.isDirectory(data)) {
            data = Path.of("..", "data", "fashion-mnist");
        }
        return new BenchContext(new LoadRunner(settings, ProgressLine.silent()),
                List.of(LoadLevel.closed(1), LoadLevel.closed(2)), protocols, 4, 32, REPLAY_IMAGES,
                Duration.ofSeconds(60), bundles.full(), bundles.reduced(), data, 1.0, 0.5, 10, 2,
                List.of("--threads", "2"), target, grpcTarget, TinyBundles.NAME, vertx, "test");
    }

    private static void assertServedWithoutErrors(ResultTable table) {
        assertThat(table.rows()).isNotEmpty();
        assertThat(column(table, "requests")).allMatch(cell -> Long.parseLong(cell) > 0);
        assertThat(column(table, "errors")).containsOnly("0");
    }

    private static List<String> column(ResultTable table, String name) {
        int index = table.columns().indexOf(name);
        assertThat(index).as("column %s of %s", name, table.columns()).isNotNegative();
        return table.rows().stream().map(row -> row.get(index)).toList();
    }
}
