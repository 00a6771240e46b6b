package dev.moeserve.loadtest.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReportFormatsTest {

    @TempDir
    Path out;

    @Test
    void csvQuotesCellsWithCommasAndQuotes() {
        ResultTable table = new ResultTable("t", List.of("name", "value")).add(List.of("a,b", "say \"x\""));

        assertThat(table.toCsv()).isEqualTo("name,value\r\n\"a,b\",\"say \"\"x\"\"\"\r\n");
    }

    @Test
    void markdownEscapesPipes() {
        ResultTable table = new ResultTable("t", List.of("kinds")).add(List.of("http_503=1 | timeout=2"));

        assertThat(table.toMarkdown()).isEqualTo("| kinds |\n|---|\n| http_503=1 \\| timeout=2 |\n");
    }

    @Test
    void rowWithWrongCellCountIsRejected() {
        ResultTable table = new ResultTable("pools", List.of("a", "b"));

        assertThatThrownBy(() -> table.add(List.of("only one")))
                .hasMessage("table 'pools' has 2 columns, got a row of 1 cells: [only one]");
    }

    @Test
    void reportWritesMarkdownAndOneCsvPerTable() throws Exception {
        BenchReport report = new BenchReport("pools", ZonedDateTime.parse("2025-01-02T03:04:05Z"),
                new Machine(2, "Test CPU", "Linux", "Java 17", "0.50"), "./moe bench --scenario pools");
        report.context("bundle: x");
        report.table(new ResultTable("first", List.of("a")).add(List.of("1")));
        report.table(new ResultTable("second", List.of("b")).add(List.of("2")));
        report.note("ratio 0.5");

        List<Path> files = report.write(out);

        assertThat(files).extracting(file -> file.getFileName().toString())
                .containsExactly("pools-20250102-030405.md", "pools-20250102-030405-1.csv",
                        "pools-20250102-030405-2.csv");
        String markdown = Files.readString(files.get(0));
        assertThat(markdown).contains("- date: 2025-01-02T03:04:05Z", "- machine: 2 processors, Test CPU, Linux, Java 17, load average 0.50 at start",
                "- command: `./moe bench --scenario pools`", "### first", "### second", "ratio 0.5");
        assertThat(Files.readString(files.get(2))).isEqualTo("b\r\n2\r\n");
    }

    @Test
    void figuresFormatMissingValuesAsDash() {
        assertThat(Figures.decimal(Double.NaN, 2)).isEqualTo("-");
        assertThat(Figures.decimal(1.005, 1)).isEqualTo("1.0");
        assertThat(Figures.percent(0.12345)).isEqualTo("12.35%");
        assertThat(Figures.mebibytes(3L << 20)).isEqualTo("3.00 MiB");
        assertThat(Figures.errorKinds(java.util.Map.of())).isEqualTo("-");
    }

    @Test
    void twoProportionTestMatchesHandComputedValues() {
        // 60/100 against 50/100: pooled p = 0.55, standard error sqrt(0.55 * 0.45 * 0.02) = 0.070356.
        TwoProportionTest test = TwoProportionTest.of(60, 100, 50, 100);

        assertThat(test.difference()).isEqualTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(test.z()).isEqualTo(1.4213, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(test.pValue()).isEqualTo(0.1552, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(TwoProportionTest.normalCdf(1.959964)).isEqualTo(0.975, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(TwoProportionTest.of(0, 0, 1, 2).z()).isNaN();
        assertThat(TwoProportionTest.of(5, 5, 7, 7).z()).isNaN();
    }
}
