package dev.moeserve.loadtest.deploy;

import dev.moeserve.pool.cli.WorkerCommand;
import dev.moeserve.router.cli.ServeCommand;
import picocli.CommandLine;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Checks container commands against the picocli models of {@code moe serve} and {@code moe worker}. */
final class Commands {

    /** First argument of the image's entry point that runs the router. */
    static final String SERVE = "serve";

    /** First argument of the image's entry point that runs an expert worker. */
    static final String WORKER = "worker";

    private Commands() {
    }

    /**
     * Parses {@code command} (the entry point's arguments: {@code serve} or {@code worker}, then options) with
     * the command's picocli model, so that an unknown flag, a missing required option, a bad value or two
     * exclusive options fail the test with picocli's message.
     */
    static CommandLine.ParseResult parse(String where, List<String> command) {
        assertThat(command).as("command of %s", where).isNotEmpty();
        String name = command.get(0);
        Object instance = switch (name) {
            case SERVE -> new ServeCommand();
            case WORKER -> new WorkerCommand();
            default -> fail("command of %s must start with serve or worker, got %s", where, command);
        };
        CommandLine commandLine = new CommandLine(instance);
        try {
            return commandLine.parseArgs(command.subList(1, command.size()).toArray(new String[0]));
        } catch (CommandLine.ParameterException e) {
            return fail("%s: '%s' is not a valid %s command line: %s", where, String.join(" ", command), name,
                    e.getMessage());
        }
    }

    /** Returns the value of an option as the command parsed it, by its longest name. */
    static String value(CommandLine.ParseResult parsed, String option) {
        CommandLine.Model.OptionSpec spec = parsed.commandSpec().findOption(option);
        assertThat(spec).as("option %s of %s", option, parsed.commandSpec().name()).isNotNull();
        Object value = spec.getValue();
        return value == null ? null : value instanceof List<?> list ? String.join(",", list.stream()
                .map(Object::toString).toList()) : value.toString();
    }
}
