package dev.moeserve.loadtest.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A titled table of text cells, written to Markdown and CSV by {@link BenchReport}. */
public final class ResultTable {

    private final String title;
    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();

    public ResultTable(String title, List<String> columns) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        this.title = title;
        this.columns = List.copyOf(columns);
    }

    /**
     * Adds a row.
     *
     * @throws IllegalArgumentException when the row does not have one cell per column
     */
    public ResultTable add(List<String> cells) {
        if (cells.size() != columns.size()) {
            throw new IllegalArgumentException("table '" + title + "' has " + columns.size() + " columns, got a row of "
                    + cells.size() + " cells: " + cells);
        }
        rows.add(List.copyOf(cells));
        return this;
    }

    public String title() {
        return title;
    }

    public List<String> columns() {
        return columns;
    }

    public List<List<String>> rows() {
        return Collections.unmodifiableList(rows);
    }

    /** Returns the table in GitHub Markdown, with {@code |} in cells escaped. */
    public String toMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append("| ").append(String.join(" | ", escape(columns))).append(" |\n");
        out.append("|").append("---|".repeat(columns.size())).append('\n');
        for (List<String> row : rows) {
            out.append("| ").append(String.join(" | ", escape(row))).append(" |\n");
        }
        return out.toString();
    }

    /** Returns the table as CSV (RFC 4180): a header line, then one line per row. */
    public String toCsv() {
        StringBuilder out = new StringBuilder();
        out.append(csvLine(columns));
        for (List<String> row : rows) {
            out.append(csvLine(row));
        }
        return out.toString();
    }

    private static List<String> escape(List<String> cells) {
        List<String> escaped = new ArrayList<>();
        for (String cell : cells) {
            escaped.add(cell.replace("|", "\\|"));
        }
        return escaped;
    }

    private static String csvLine(List<String> cells) {
        List<String> quoted = new ArrayList<>();
        for (String cell : cells) {
            boolean quote = cell.contains(",") || cell.contains("\"") || cell.contains("\n");
            quoted.add(quote ? "\"" + cell.replace("\"", "\"\"") + "\"" : cell);
        }
        return String.join(",", quoted) + "\r\n";
    }
}
