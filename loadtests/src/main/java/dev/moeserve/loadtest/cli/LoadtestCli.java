package dev.moeserve.loadtest.cli;

import dev.moeserve.loadtest.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code ./moe bench} and {@code ./moe demo}: the launcher passes the command name as the
 * first argument, which selects the subcommand.
 */
@Command(name = "moe", mixinStandardHelpOptions = true,
        description = "Load tests and benchmark scenarios of the MoE router.",
        subcommands = {BenchCommand.class, DemoCommand.class})
public final class LoadtestCli {

    /** slf4j-simple's property for the default log level. */
    static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

    public static void main(String[] args) {
        // The router and workers run in this process and log every start at INFO, which would bury the
        // progress line; -Dorg.slf4j.simpleLogger.defaultLogLevel=info in MOE_JAVA_OPTS brings them back.
        if (System.getProperty(LOG_LEVEL_PROPERTY) == null) {
            System.setProperty(LOG_LEVEL_PROPERTY, "warn");
        }
        System.exit(commandLine().execute(args));
    }

    /** Returns the command line with its subcommands. */
    public static CommandLine commandLine() {
        return new CommandLine(new LoadtestCli());
    }
}
