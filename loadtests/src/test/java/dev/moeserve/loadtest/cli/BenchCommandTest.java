package dev.moeserve.loadtest.cli;

import dev.moeserve.loadtest.engine.LoadMode;
import dev.moeserve.loadtest.scenario.BenchContext;
import dev.moeserve.loadtest.scenario.Protocol;
import dev.moeserve.loadtest.scenario.Scenarios;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parses {@code moe bench} command lines into scenario contexts without running them. */
class BenchCommandTest {

    private static Vertx vertx;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void loadScenarioSweepsConcurrencyWithFiveSecondWindows() {
        BenchContext context = context("bench");

        assertThat(context.levels()).extracting(level -> level.concurrency()).containsExactly(1, 4, 16, 64);
        assertThat(context.runner().settings().window()).isEqualTo(Duration.ofSeconds(5));
        assertThat(context.protocols()).containsExactly(Protocol.HTTP);
        assertThat(context.command()).isEqualTo("./moe bench");
    }

    @Test
    void comparisonScenariosUseShortDefaults() {
        BenchContext context = context("bench", "--scenario", "pools");

        assertThat(context.levels()).extracting(level -> level.concurrency()).containsExactly(4);
        assertThat(context.runner().settings().window()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void ratesMakeOpenLoopLevels() {
        BenchContext context = context("bench", "--rate", "10,20.5", "--arrival", "poisson", "--window", "750ms",
                "--protocol", "http,GRPC");

        assertThat(context.levels()).allMatch(level -> level.mode() == LoadMode.OPEN);
        assertThat(context.levels()).extracting(level -> level.label()).containsExactly("10/s poisson",
                "20.5/s poisson");
        assertThat(context.runner().settings().window()).isEqualTo(Duration.ofMillis(750));
        assertThat(context.protocols()).containsExactly(Protocol.HTTP, Protocol.GRPC);
    }

    @Test
    void loopbackTargetIsAccepted() {
        BenchContext context = context("bench", "--target", "127.0.0.1:8080", "--grpc-target", "[::1]:8081",
                "--model", "m");

        assertThat(context.target()).hasToString("127.0.0.1:8080");
        assertThat(context.grpcTarget()).hasToString("[::1]:8081");
        assertThat(context.model()).isEqualTo("m");
    }

    @Test
    void remoteTargetNeedsAllowRemote() {
        assertThatThrownBy(() -> context("bench", "--target", "192.0.2.10:8080"))
                .hasMessageContaining("is not a loopback address");

        assertThat(context("bench", "--target", "192.0.2.10:8080", "--allow-remote").target().host())
                .isEqualTo("192.0.2.10");
    }

    @Test
    void targetAppliesOnlyToLoadScenario() {
        assertThatThrownBy(() -> context("bench", "--scenario", "pools", "--target", "127.0.0.1:8080"))
                .hasMessageContaining("--target applies only to --scenario load");
    }

    @Test
    void concurrencyAndRateAreExclusive() {
        assertThatThrownBy(() -> parse("bench", "--concurrency", "1", "--rate", "5"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("mutually exclusive");
    }

    @Test
    void badDurationNamesTheFormat() {
        assertThatThrownBy(() -> parse("bench", "--window", "5 seconds"))
                .hasMessageContaining("for example 500ms, 5s or 2m");
    }

    @Test
    void unknownScenarioListsKnownOnes() {
        StringWriter err = new StringWriter();
        CommandLine commandLine = LoadtestCli.commandLine();
        commandLine.setErr(new PrintWriter(err));

        int exit = commandLine.execute("bench", "--scenario", "nope");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--scenario must be one of load, pools, policies, ab, remote, replay, bare, "
                + "got 'nope'");
    }

    @Test
    void helpListsBenchOptions() {
        StringWriter out = new StringWriter();
        CommandLine commandLine = LoadtestCli.commandLine();
        commandLine.setOut(new PrintWriter(out));

        commandLine.execute("bench", "--help");

        assertThat(out.toString()).contains("--scenario=NAME", "--allow-remote", "--concurrency=N");
    }

    @Test
    void launcherCommandsAreSubcommands() {
        assertThat(LoadtestCli.commandLine().getSubcommands()).containsKeys("bench", "demo");
    }

    private static BenchContext context(String... args) {
        CommandLine.ParseResult parsed = parse(args);
        BenchCommand bench = (BenchCommand) parsed.subcommand().commandSpec().userObject();
        return bench.context(Scenarios.byName(bench.scenario), vertx);
    }

    private static CommandLine.ParseResult parse(String... args) {
        return LoadtestCli.commandLine().parseArgs(args);
    }
}
