package dev.moeserve.router.server;

import dev.moeserve.router.metrics.RouterMetrics;
import dev.moeserve.router.policy.PolicyConfigException;
import dev.moeserve.router.policy.PolicyFiles;
import dev.moeserve.router.policy.PolicyTable;
import dev.moeserve.router.policy.TableSpec;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Replaces the policy table when the policies file changes. A Vert.x timer checks the file's
 * modification time and size every poll interval. When they change, the file is read, and content that
 * differs from the last content read is compiled and installed. File access and compiling run on a
 * worker thread. An invalid or unreadable file is logged once per change and leaves the table in force.
 *
 * <p>An admin {@code PUT /admin/routing} stays in force until the file changes next; then the file wins.
 */
final class PolicyFileWatcher {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyFileWatcher.class);

    private final Vertx vertx;
    private final Path file;
    private final PolicyTable table;
    private final RouterMetrics metrics;
    private final AtomicBoolean checking = new AtomicBoolean();
    private final long timerId;
    private volatile FileState lastSeen;
    private volatile byte[] lastContent;

    /** File state that triggers a reload when it changes. */
    private record FileState(long modifiedMillis, long size) {
    }

    private PolicyFileWatcher(Vertx vertx, Path file, byte[] installedContent, PolicyTable table,
                              RouterMetrics metrics, Duration interval) {
        this.vertx = vertx;
        this.file = file;
        this.table = table;
        this.metrics = metrics;
        this.lastContent = installedContent;
        this.timerId = vertx.setPeriodic(Math.max(1, interval.toMillis()), id -> poll());
    }

    /**
     * Starts watching {@code file}. The first poll reads the file and compares it with
     * {@code installedContent}, the bytes the table in force was built from, so that a change made while
     * the server started is not missed.
     */
    static PolicyFileWatcher start(Vertx vertx, Path file, byte[] installedContent, PolicyTable table,
                                   RouterMetrics metrics, Duration interval) {
        LOG.info("Watching policies file {} every {} ms", file, interval.toMillis());
        return new PolicyFileWatcher(vertx, file, installedContent, table, metrics, interval);
    }

    void stop() {
        vertx.cancelTimer(timerId);
    }

    private void poll() {
        if (!checking.compareAndSet(false, true)) {
            return;
        }
        vertx.executeBlocking(() -> {
            check();
            return null;
        }, false).onComplete(done -> checking.set(false));
    }

    private void check() {
        FileState now = state();
        if (now == null || now.equals(lastSeen)) {
            if (now == null && lastSeen != null) {
                LOG.warn("Policies file {} cannot be read any more; policy table {} stays in force", file,
                        table.current().version());
            }
            lastSeen = now;
            return;
        }
        lastSeen = now;
        byte[] content;
        try {
            content = PolicyFiles.readBytes(file);
        } catch (PolicyConfigException e) {
            LOG.warn("{}; policy table {} stays in force", e.getMessage(), table.current().version());
            return;
        }
        // Touching the file, or writing it in two steps, changes its state but not its content.
        if (Arrays.equals(content, lastContent)) {
            return;
        }
        lastContent = content;
        try {
            TableSpec spec = PolicyFiles.parse(file, content);
            table.replace(spec, "policies file " + file);
            metrics.tableSwap("file", true);
        } catch (PolicyConfigException e) {
            metrics.tableSwap("file", false);
            LOG.warn("Policies file {} changed but was rejected; policy table {} stays in force: {}", file,
                    table.current().version(), e.getMessage());
        } catch (RuntimeException e) {
            metrics.tableSwap("file", false);
            LOG.warn("Policies file {} changed but installing it failed; policy table {} stays in force", file,
                    table.current().version(), e);
        }
    }

    private FileState state() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileState(attributes.lastModifiedTime().toMillis(), attributes.size());
        } catch (IOException e) {
            return null;
        }
    }
}
