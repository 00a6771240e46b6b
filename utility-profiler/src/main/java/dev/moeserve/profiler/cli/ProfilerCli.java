package dev.moeserve.profiler.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the offline commands: {@code train}, {@code profile}, {@code evaluate}. */
@Command(name = "moe", mixinStandardHelpOptions = true,
        subcommands = {TrainCommand.class, ProfileCommand.class, EvaluateCommand.class})
public final class ProfilerCli {

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProfilerCli()).execute(args));
    }
}
