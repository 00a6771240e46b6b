package dev.moeserve.loadtest.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The machine a benchmark ran on, for the report header.
 *
 * @param loadAverage the 1-minute load average when the benchmark started, from /proc/loadavg, or
 *                    "unknown"; other processes running beside a benchmark skew its figures
 */
public record Machine(int processors, String cpuModel, String os, String java, String loadAverage) {

    private static final Path CPU_INFO = Path.of("/proc/cpuinfo");
    private static final Path LOAD_AVERAGE = Path.of("/proc/loadavg");

    /** Describes this machine: processor count, CPU model from /proc/cpuinfo, OS and Java version. */
    public static Machine current() {
        return new Machine(Runtime.getRuntime().availableProcessors(), readCpuModel(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                readLoadAverage());
    }

    /**
     * Returns one line: {@code 2 processors, AMD EPYC, Linux 6.1 amd64, OpenJDK 64-Bit Server VM 17.0.15, load
     * average 0.12 at start}.
     */
    public String describe() {
        return processors + " processors, " + cpuModel + ", " + os + ", " + java + ", load average " + loadAverage
                + " at start";
    }

    private static String readCpuModel() {
        try {
            List<String> lines = Files.readAllLines(CPU_INFO);
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "CPU model unknown (" + CPU_INFO + " not readable)";
        }
        return "CPU model unknown";
    }

    private static String readLoadAverage() {
        try {
            return Files.readString(LOAD_AVERAGE).trim().split("\\s+")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
