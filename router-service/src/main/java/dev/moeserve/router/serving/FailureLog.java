package dev.moeserve.router.serving;

import org.slf4j.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs failures that are reported to the client and not rethrown: the first of each kind at WARN, repeats
 * at DEBUG with a running count, so that a failing backend does not flood the log.
 */
final class FailureLog {

    private final Logger log;
    private final Map<String, AtomicLong> seen = new ConcurrentHashMap<>();

    FailureLog(Logger log) {
        this.log = log;
    }

    /** Logs {@code message} under {@code kind}, a bounded key such as the exception type and policy. */
    void warn(String kind, String message, Throwable cause) {
        long count = seen.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        if (count == 1) {
            log.warn("{} (further failures of this kind are logged at DEBUG)", message, cause);
        } else if (log.isDebugEnabled()) {
            log.debug("{} ({} failures of this kind so far)", message, count, cause);
        }
    }
}
