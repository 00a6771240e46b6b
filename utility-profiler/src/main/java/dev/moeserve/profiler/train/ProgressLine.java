package dev.moeserve.profiler.train;

import java.io.PrintStream;

/** A one-line progress bar redrawn with carriage returns, ended by {@link #finish}. */
public final class ProgressLine {

    private static final int BAR_WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final int total;
    private final long started = System.nanoTime();
    private long lastDraw;

    public ProgressLine(PrintStream out, String label, int total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
    }

    public void update(int done, String detail) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 200_000_000L) {
            return;
        }
        lastDraw = now;
        int filled = (int) ((long) BAR_WIDTH * done / total);
        double seconds = (now - started) / 1e9;
        out.printf("\r%s [%s%s] %d/%d %.0fs %s", label, "#".repeat(filled), ".".repeat(BAR_WIDTH - filled),
                done, total, seconds, detail);
        out.flush();
    }

    public void finish(String summary) {
        out.printf("\r%s %s%n", label, summary + " ".repeat(40));
        out.flush();
    }
}
