package dev.moeserve.model.cli;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.BundleException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code inspect BUNDLE}: verifies a bundle and prints its parts, layers and sizes. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Verify a bundle (manifest fields, file sizes and SHA-256) and print its parts, "
                + "MoE layers and sizes.",
                "Exits with 1 and prints the first error to stderr when the bundle is invalid."})
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "BUNDLE", description = "Bundle folder, the one containing manifest.json.")
    Path bundle;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Bundle opened;
        try {
            opened = Bundle.open(bundle);
        } catch (BundleException e) {
            spec.commandLine().getErr().println(e.getMessage());
            spec.commandLine().getErr().flush();
            return 1;
        }
        BundleReport.print(opened, spec.commandLine().getOut());
        return 0;
    }
}
