package dev.moeserve.model.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with columns sized to their widest cell; numeric columns are right-aligned. */
final class TextTable {

    private final List<String> header;
    private final boolean[] rightAligned;
    private final List<List<String>> rows = new ArrayList<>();

    /** Creates a table. A header that starts with {@code >} marks a right-aligned column; the mark is not printed. */
    TextTable(String... headerCells) {
        header = new ArrayList<>();
        rightAligned = new boolean[headerCells.length];
        for (int i = 0; i < headerCells.length; i++) {
            rightAligned[i] = headerCells[i].startsWith(">");
            header.add(rightAligned[i] ? headerCells[i].substring(1) : headerCells[i]);
        }
    }

    void addRow(String... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + header.size());
        }
        rows.add(List.of(cells));
    }

    /** Prints the header and rows, each line indented by two spaces and without trailing spaces. */
    void print(PrintWriter out) {
        int[] widths = new int[header.size()];
        for (List<String> row : allRows()) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : allRows()) {
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < row.size(); i++) {
                String cell = row.get(i);
                String padding = " ".repeat(widths[i] - cell.length());
                line.append(rightAligned[i] ? padding + cell : cell + padding);
                if (i < row.size() - 1) {
                    line.append("  ");
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private List<List<String>> allRows() {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        return all;
    }
}
