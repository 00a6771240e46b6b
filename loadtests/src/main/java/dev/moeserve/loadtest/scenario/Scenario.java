package dev.moeserve.loadtest.scenario;

import dev.moeserve.loadtest.report.BenchReport;

/** A benchmark that {@code moe bench --scenario NAME} runs. */
public interface Scenario {

    /** Name on the command line. */
    String name();

    /** One line for the help text. */
    String summary();

    /** Runs the scenario, starting and stopping whatever it measures, and returns its report. */
    BenchReport run(BenchContext context);
}
