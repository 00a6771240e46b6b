package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.loadtest.engine.LevelResult;
import dev.moeserve.loadtest.engine.LoadLevel;
import dev.moeserve.loadtest.engine.RequestPlan;
import dev.moeserve.loadtest.report.Figures;
import dev.moeserve.loadtest.report.ResultTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Measuring every load level of a context with one client, and comparing two sets of results. */
final class Sweeps {

    private Sweeps() {
    }

    /** Measures each level of {@code context} with {@code client}; keys are the level labels, in order. */
    static Map<String, LevelResult> measure(BenchContext context, InferenceClient client, List<RequestBatch> batches) {
        Map<String, LevelResult> results = new LinkedHashMap<>();
        for (LoadLevel level : context.levels()) {
            RequestPlan plan = RequestPlan.cycling(batches.size());
            results.put(level.label(), context.runner().measure(client, plan, level, batches));
        }
        return results;
    }

    /** Adds one row per result: {@code leading} cells, then the measurement columns. */
    static void addRows(ResultTable table, List<String> leading, Map<String, LevelResult> results) {
        for (LevelResult result : results.values()) {
            List<String> cells = new ArrayList<>(leading);
            cells.addAll(Figures.measurement(result));
            table.add(cells);
        }
    }

    /** Returns the column names: {@code leading}, then the measurement columns. */
    static List<String> columns(String... leading) {
        List<String> columns = new ArrayList<>(List.of(leading));
        columns.addAll(Figures.MEASUREMENT_COLUMNS);
        return columns;
    }

    /**
     * Builds a table of ratios {@code subject / reference} of throughput and p50 per level label present in
     * both.
     */
    static ResultTable ratios(String title, String subjectName, Map<String, LevelResult> subject,
                              String referenceName, Map<String, LevelResult> reference, String protocol) {
        ResultTable table = new ResultTable(title, List.of("protocol", "load", subjectName + " req/s",
                referenceName + " req/s", "throughput ratio", subjectName + " p50 ms", referenceName + " p50 ms",
                "p50 ratio"));
        for (Map.Entry<String, LevelResult> entry : subject.entrySet()) {
            LevelResult base = reference.get(entry.getKey());
            if (base == null) {
                continue;
            }
            LevelResult value = entry.getValue();
            table.add(List.of(protocol, entry.getKey(), Figures.decimal(value.throughput(), 1),
                    Figures.decimal(base.throughput(), 1), ratio(value, base, LevelResult::throughput),
                    Figures.decimal(value.latencyMillis(50), 2), Figures.decimal(base.latencyMillis(50), 2),
                    ratio(value, base, result -> result.latencyMillis(50))));
        }
        return table;
    }

    private static String ratio(LevelResult value, LevelResult base, Function<LevelResult, Double> figure) {
        double denominator = figure.apply(base);
        return denominator > 0 ? Figures.decimal(figure.apply(value) / denominator, 2) : "-";
    }
}
