package dev.moeserve.loadtest.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The result of one benchmark scenario: tables, notes, and the context needed to read them (date,
 * machine, command line, settings). Written as one Markdown file and one CSV file per table.
 */
public final class BenchReport {

    private static final DateTimeFormatter FILE_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);

    private final String scenario;
    private final ZonedDateTime started;
    private final Machine machine;
    private final String command;
    private final List<String> context = new ArrayList<>();
    private final List<ResultTable> tables = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public BenchReport(String scenario, ZonedDateTime started, Machine machine, String command) {
        this.scenario = scenario;
        this.started = started;
        this.machine = machine;
        this.command = command;
    }

    /** Adds a line of context, such as the bundle measured or the settings. */
    public BenchReport context(String line) {
        context.add(line);
        return this;
    }

    public BenchReport table(ResultTable table) {
        tables.add(table);
        return this;
    }

    /** Adds a line printed after the tables, such as a ratio or a caveat. */
    public BenchReport note(String line) {
        notes.add(line);
        return this;
    }

    public String scenario() {
        return scenario;
    }

    public List<ResultTable> tables() {
        return List.copyOf(tables);
    }

    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** Returns the whole report as Markdown. */
    public String toMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append("## Scenario ").append(scenario).append("\n\n");
        out.append("- date: ").append(started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        out.append("- machine: ").append(machine.describe()).append('\n');
        out.append("- command: `").append(command).append("`\n");
        for (String line : context) {
            out.append("- ").append(line).append('\n');
        }
        for (ResultTable table : tables) {
            out.append("\n### ").append(table.title()).append("\n\n").append(table.toMarkdown());
        }
        if (!notes.isEmpty()) {
            out.append('\n');
            for (String note : notes) {
                out.append(note).append("\n\n");
            }
        }
        return out.toString();
    }

    /**
     * Writes {@code SCENARIO-STAMP.md} and {@code SCENARIO-STAMP-N.csv} per table into {@code dir}.
     *
     * @return the files written
     */
    public List<Path> write(Path dir) {
        String base = scenario + "-" + started.format(FILE_STAMP);
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            Path markdown = dir.resolve(base + ".md");
            Files.writeString(markdown, toMarkdown(), StandardCharsets.UTF_8);
            written.add(markdown);
            for (int i = 0; i < tables.size(); i++) {
                Path csv = dir.resolve(base + "-" + (i + 1) + ".csv");
                Files.writeString(csv, tables.get(i).toCsv(), StandardCharsets.UTF_8);
                written.add(csv);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the report to " + dir + " failed: " + e.getMessage(), e);
        }
        return written;
    }
}
