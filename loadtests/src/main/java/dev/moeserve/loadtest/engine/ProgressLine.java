package dev.moeserve.loadtest.engine;

import java.io.PrintStream;

/**
 * A status line on stderr while a load level runs. On a terminal it is rewritten in place; otherwise,
 * for example in CI logs, each update is a new line. Only the measuring thread calls it.
 */
public final class ProgressLine {

    private final PrintStream out;
    private final boolean inPlace;
    private int lastLength;

    public ProgressLine(PrintStream out, boolean inPlace) {
        this.out = out;
        this.inPlace = inPlace;
    }

    /** Returns a progress line on stderr, rewritten in place when a console is attached. */
    public static ProgressLine stderr() {
        return new ProgressLine(System.err, System.console() != null);
    }

    /** Returns a progress line that prints nothing, for tests. */
    public static ProgressLine silent() {
        return new ProgressLine(new PrintStream(PrintStream.nullOutputStream()), false);
    }

    /** Replaces the line with {@code text}. */
    public void update(String text) {
        if (inPlace) {
            String padding = " ".repeat(Math.max(0, lastLength - text.length()));
            out.print("\r" + text + padding);
            lastLength = text.length();
        } else {
            out.println(text);
        }
        out.flush();
    }

    /** Ends the line, so that the next output starts on a fresh one. */
    public void finish() {
        if (inPlace && lastLength > 0) {
            out.println();
        }
        lastLength = 0;
    }
}
