package dev.moeserve.model.progress;

/**
 * A bar of {@code done / total} steps with the elapsed seconds, drawn on a {@link ProgressLine}. In place
 * it is redrawn at most every 200 ms. As new lines it is drawn at most once per tenth of the total, so
 * that logs stay short. The last step is always drawn.
 */
public final class ProgressBar {

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 200_000_000L;

    private final ProgressLine line;
    private final String label;
    private final int total;
    private final long started = System.nanoTime();
    private long lastDraw;
    private int lastTenth = -1;

    public ProgressBar(ProgressLine line, String label, int total) {
        this.line = line;
        this.label = label;
        this.total = Math.max(1, total);
    }

    /** Records {@code done} steps; {@code detail} follows the bar. */
    public void update(int done, String detail) {
        long now = System.nanoTime();
        if (done < total) {
            if (line.inPlace() && now - lastDraw < REDRAW_NANOS) {
                return;
            }
            int tenth = (int) (10L * done / total);
            if (!line.inPlace() && tenth == lastTenth) {
                return;
            }
            lastTenth = tenth;
        }
        lastDraw = now;
        line.update(String.format("%s %s %d/%d %.0f s%s", label, bar(done, total), done, total,
                (now - started) / 1e9, detail.isEmpty() ? "" : " " + detail));
    }

    /** Replaces the bar with {@code summary} after the label and ends the line. */
    public void finish(String summary) {
        line.finish(label + " " + summary);
    }

    /** Returns {@code [####......]} with {@code done / total} of the width filled. */
    static String bar(int done, int total) {
        int filled = (int) ((long) WIDTH * Math.min(done, total) / Math.max(1, total));
        return "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "]";
    }
}
