package dev.moeserve.profiler.cli;

import dev.moeserve.model.bundle.BundleException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.nio.file.NoSuchFileException;

/** Entry point of the offline commands: {@code train}, {@code profile}, {@code evaluate}. */
@Command(name = "moe", mixinStandardHelpOptions = true,
        subcommands = {TrainCommand.class, ProfileCommand.class, EvaluateCommand.class})
public final class ProfilerCli {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** Builds the command line; bad input ends with one line on stderr and exit code 1, not a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new ProfilerCli());
        cli.setExecutionExceptionHandler((exception, command, parseResult) -> {
            if (exception instanceof IllegalArgumentException || exception instanceof BundleException
                    || exception instanceof IOException) {
                command.getErr().println("moe " + command.getCommandName() + ": " + describe(exception));
                return 1;
            }
            throw exception;
        });
        return cli;
    }

    private static String describe(Exception exception) {
        if (exception instanceof NoSuchFileException missing) {
            String reason = missing.getReason();
            return "file not found: " + missing.getFile() + (reason == null ? "" : " (" + reason + ")");
        }
        return exception.getMessage();
    }
}
