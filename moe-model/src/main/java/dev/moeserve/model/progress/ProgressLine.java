package dev.moeserve.model.progress;

import java.io.PrintStream;

/**
 * A status line. On a terminal it is rewritten in place with a carriage return. Elsewhere, for example
 * in a log file or CI output, each update is a new line. One thread at a time may call it.
 */
public final class ProgressLine {

    private final PrintStream out;
    private final boolean inPlace;
    private int lastLength;

    public ProgressLine(PrintStream out, boolean inPlace) {
        this.out = out;
        this.inPlace = inPlace;
    }

    /** Returns a line on {@code out}, rewritten in place when a console is attached to this process. */
    public static ProgressLine on(PrintStream out) {
        return new ProgressLine(out, System.console() != null);
    }

    /** Returns a line on stderr, rewritten in place when a console is attached. */
    public static ProgressLine stderr() {
        return on(System.err);
    }

    /** Returns a line that prints nothing, for tests. */
    public static ProgressLine silent() {
        return new ProgressLine(new PrintStream(PrintStream.nullOutputStream()), false);
    }

    /** Returns whether updates rewrite one line in place. */
    public boolean inPlace() {
        return inPlace;
    }

    /** Replaces the line with {@code text}, or prints it as a new line when not in place. */
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
        out.flush();
    }

    /** Replaces the line with {@code summary} and ends it. */
    public void finish(String summary) {
        update(summary);
        finish();
    }
}
