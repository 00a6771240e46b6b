package dev.moeserve.model.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the bundle commands of module moe-model: {@code inspect}. */
@Command(name = "moe-model", mixinStandardHelpOptions = true,
        description = "Commands for model bundles.",
        subcommands = {InspectCommand.class})
public final class ModelCli {

    public static void main(String[] args) {
        System.exit(new CommandLine(new ModelCli()).execute(args));
    }
}
