package dev.moeserve.pool.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Orderly stop of a server process on SIGTERM or SIGINT.
 *
 * <p>ONNX Runtime's Java library registers a JVM shutdown hook that releases its environment, and JVM
 * hooks run in no fixed order, so closing servers from a shutdown hook can free the runtime under
 * requests still running (a SIGSEGV in {@code OrtSession.run}). This class handles the signals itself:
 * it runs {@code stop} (drain and close) on a thread of its own and only then lets the process exit, so
 * the runtime's hook finds nothing running. A shutdown hook remains as a fallback for other exits.
 */
public final class Termination {

    private static final Logger LOG = LoggerFactory.getLogger(Termination.class);

    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Runnable stop;

    private Termination(Runnable stop) {
        this.stop = stop;
    }

    /** Installs handlers for SIGTERM and SIGINT that run {@code stop} once. */
    public static Termination install(String name, Runnable stop) {
        Termination termination = new Termination(stop);
        for (String signal : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(signal), s -> new Thread(termination::stop, name + "-stop").start());
            } catch (IllegalArgumentException e) {
                LOG.warn("Cannot handle SIG{} ({}); stopping on it relies on the shutdown hook", signal,
                        e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(termination::stop, name + "-shutdown-hook"));
        return termination;
    }

    /** Blocks until {@code stop} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    private void stop() {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        LOG.info("Shutdown requested");
        try {
            stop.run();
        } finally {
            stopped.countDown();
        }
    }
}
