package dev.moeserve.model.cli;

import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.FileEntry;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.model.bundle.ReducedFrom;
import dev.moeserve.model.bundle.TensorSpec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.stream.Collectors;

/** Prints the summary of a verified bundle that {@code inspect} shows. The output depends only on the bundle. */
final class BundleReport {

    private BundleReport() {
    }

    static void print(Bundle bundle, PrintWriter out) {
        Manifest manifest = bundle.manifest();
        TensorSpec input = manifest.input();
        Accuracy accuracy = manifest.accuracy();

        out.printf(Locale.ROOT, "Bundle    %s (%d files verified)%n", bundle.directory(), manifest.files().size());
        out.printf(Locale.ROOT, "Model     %s version %s (%s)%n", manifest.name(), manifest.version(), manifest.format());
        out.printf(Locale.ROOT, "Task      %s, %d labels%n", manifest.task(), manifest.labels().size());
        out.printf(Locale.ROOT, "Input     %s %s %s, %d tokens, width %d, opset %d%n", input.name(), input.datatype(),
                input.shape(), manifest.tokens(), manifest.width(), manifest.opset());
        out.printf(Locale.ROOT, "Accuracy  %.4f on %s (%s images)%n",
                accuracy.value(), accuracy.split(), number(accuracy.images()));
        out.printf(Locale.ROOT, "Origin    %s%n", origin(manifest.reducedFrom()));

        out.println();
        out.println("Parts");
        TextTable parts = new TextTable("part", "file", ">parameters", ">bytes");
        for (int i = 0; i < manifest.trunk().size(); i++) {
            addFileRow(parts, manifest, "trunk segment " + i, manifest.trunk().get(i).file());
        }
        for (MoeLayerSpec layer : manifest.layers()) {
            addFileRow(parts, manifest, "gate of layer " + layer.index(), layer.gate());
            long parameters = 0;
            long bytes = 0;
            for (String file : layer.expertFiles().values()) {
                parameters += manifest.file(file).parameters();
                bytes += manifest.file(file).bytes();
            }
            parts.addRow("experts of layer " + layer.index(), layer.expertFiles().size() + " files",
                    number(parameters), number(bytes));
        }
        addFileRow(parts, manifest, "weights", manifest.weights());
        parts.print(out);

        out.println();
        out.println("Layers");
        TextTable layers = new TextTable(">layer", ">experts", ">top-k", ">kept", "pool", "prior");
        for (MoeLayerSpec layer : manifest.layers()) {
            String pool = layer.pool() == null ? "all"
                    : layer.pool().stream().map(String::valueOf).collect(Collectors.joining(" "));
            layers.addRow(String.valueOf(layer.index()), String.valueOf(layer.experts()), String.valueOf(layer.topK()),
                    layer.keptExperts().size() + "/" + layer.experts(), pool, layer.hasPrior() ? "yes" : "no");
        }
        layers.print(out);

        out.println();
        out.println("Totals");
        TextTable totals = new TextTable("", ">parameters", ">bytes");
        totals.addRow("expert files", number(manifest.expertParameters()), number(manifest.expertBytes()));
        totals.addRow("all files", "", number(manifest.totalBytes()));
        totals.print(out);
        out.flush();
    }

    private static void addFileRow(TextTable table, Manifest manifest, String part, String file) {
        FileEntry entry = manifest.file(file);
        table.addRow(part, file, number(entry.parameters()), number(entry.bytes()));
    }

    private static String origin(ReducedFrom reducedFrom) {
        if (reducedFrom == null) {
            return "full bundle";
        }
        String budget = reducedFrom.budget() == null ? "budget not recorded" : reducedFrom.budget() + " budget";
        return String.format(Locale.ROOT, "reduced from %s version %s by score %s, keep ratio %.4f, %s",
                reducedFrom.name(), reducedFrom.version(), reducedFrom.score(), reducedFrom.keepRatio(), budget);
    }

    private static String number(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }
}
