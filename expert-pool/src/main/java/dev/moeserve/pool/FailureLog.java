package dev.moeserve.pool;

import org.slf4j.Logger;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs a failure that can repeat on a hot path: the first occurrence at WARN, later ones at DEBUG with
 * their running count, so that a failing expert or worker does not flood the log.
 */
public final class FailureLog {

    private final Logger logger;
    private final AtomicLong occurrences = new AtomicLong();

    public FailureLog(Logger logger) {
        this.logger = logger;
    }

    /** Logs one occurrence; {@code message} uses SLF4J placeholders, and a trailing Throwable is kept. */
    public void log(String message, Object... arguments) {
        long count = occurrences.incrementAndGet();
        if (count == 1) {
            logger.warn(message + " (repeats of this failure are logged at DEBUG)", arguments);
        } else if (logger.isDebugEnabled()) {
            logger.debug(message + " (occurrence {})", withCount(arguments, count));
        }
    }

    /** Inserts the count after the placeholder arguments and before a trailing Throwable, if any. */
    private static Object[] withCount(Object[] arguments, long count) {
        int placeholders = arguments.length;
        if (placeholders > 0 && arguments[placeholders - 1] instanceof Throwable) {
            placeholders--;
        }
        Object[] result = Arrays.copyOf(arguments, arguments.length + 1);
        result[placeholders] = count;
        System.arraycopy(arguments, placeholders, result, placeholders + 1, arguments.length - placeholders);
        return result;
    }

    /** Returns how many failures were logged. */
    public long occurrences() {
        return occurrences.get();
    }
}
