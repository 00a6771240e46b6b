package dev.moeserve.profiler.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Writes {@code report.csv}, {@code report.md} and {@code accuracy.png} from the evaluated rows. */
public final class AccuracyReport {

    private AccuracyReport() {
    }

    public static void write(Path dir, List<ReportRow> rows, String header) throws IOException {
        Files.createDirectories(dir);
        List<String> csv = new ArrayList<>();
        csv.add(ReportRow.HEADER);
        rows.forEach(r -> csv.add(r.csv()));
        Files.write(dir.resolve("report.csv"), csv);
        Files.writeString(dir.resolve("report.md"), markdown(rows, header));
        chart(rows, dir.resolve("accuracy.png"));
    }

    /** Formats one Markdown table per keep ratio, rows sorted by accuracy. */
    public static String markdown(List<ReportRow> rows, String header) {
        StringBuilder md = new StringBuilder("# Accuracy report\n\n").append(header).append("\n\n");
        Map<Double, List<ReportRow>> byKeep = new TreeMap<>((a, b) -> Double.compare(b, a));
        for (ReportRow r : rows) {
            byKeep.computeIfAbsent(r.keepRatio(), k -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<Double, List<ReportRow>> group : byKeep.entrySet()) {
            md.append(String.format("## Keep ratio %.2f%n%n", group.getKey()));
            md.append(table(group.getValue()));
            md.append('\n');
        }
        return md.toString();
    }

    /** Formats {@code rows} as a Markdown table, most accurate first. */
    public static String table(List<ReportRow> rows) {
        StringBuilder md = new StringBuilder(
                "| bundle | score | budget | policy | beta | tau | accuracy | escalation | expert compute |\n"
                        + "|---|---|---|---|---:|---:|---:|---:|---:|\n");
        List<ReportRow> sorted = new ArrayList<>(rows);
        sorted.sort((a, b) -> Double.compare(b.accuracy(), a.accuracy()));
        for (ReportRow r : sorted) {
            md.append(String.format("| %s | %s | %s | %s | %s | %s | %.2f%% | %s | %.2f |%n", r.bundle(), r.score(),
                    r.budget(), r.policy(), Double.isNaN(r.beta()) ? "" : String.valueOf(r.beta()),
                    Double.isNaN(r.tau()) ? "" : String.valueOf(r.tau()), r.accuracy() * 100,
                    r.policy().equals("cascade") ? String.format("%.1f%%", r.escalationRate() * 100) : "",
                    r.expertCompute()));
        }
        return md.toString();
    }

    /** Accuracy against keep ratio with the masked policy, one line per score, first bundle only. */
    static void chart(List<ReportRow> rows, Path file) throws IOException {
        String bundle = rows.get(0).bundle();
        ReportRow full = rows.stream().filter(r -> r.score().equals("full") && r.bundle().equals(bundle))
                .findFirst().orElse(null);
        Map<String, Map<Double, Double>> series = new LinkedHashMap<>();
        Set<String> budgets = new LinkedHashSet<>();
        for (ReportRow r : rows) {
            if (r.bundle().equals(bundle) && r.policy().equals("masked")) {
                budgets.add(r.budget());
                if (r.budget().equals(budgets.iterator().next())) {
                    series.computeIfAbsent(r.score(), s -> new TreeMap<>()).put(r.keepRatio(), r.accuracy() * 100);
                }
            }
        }
        XYChart chart = new XYChartBuilder().width(900).height(560)
                .title("Test accuracy against keep ratio (" + bundle + ", masked routing)")
                .xAxisTitle("share of experts kept").yAxisTitle("accuracy (%)").build();
        chart.getStyler().setMarkerSize(6);
        for (Map.Entry<String, Map<Double, Double>> s : series.entrySet()) {
            Map<Double, Double> points = new TreeMap<>(s.getValue());
            if (full != null) {
                points.put(1.0, full.accuracy() * 100);
            }
            List<Double> x = new ArrayList<>(points.keySet());
            List<Double> y = new ArrayList<>(points.values());
            chart.addSeries(s.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
