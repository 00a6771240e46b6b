package dev.moeserve.loadtest.engine;

import dev.moeserve.loadtest.client.ErrorKinds;
import dev.moeserve.loadtest.client.InferenceClient;
import dev.moeserve.loadtest.client.Reply;
import dev.moeserve.loadtest.client.RequestBatch;
import dev.moeserve.model.progress.ProgressLine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives one load level against an {@link InferenceClient} and measures it.
 *
 * <p>Threads: the caller's thread sleeps through the warm-up and the windows, takes the snapshots and
 * prints progress. In closed-loop mode one driver thread issues every request, so a request is never
 * sent from the thread that completed the previous one, and a client that fails at once cannot recurse.
 * In open-loop mode one scheduler thread issues requests at their planned start times. Replies are
 * recorded on whichever thread completes them.
 *
 * <p>Bounds: a measurement stops after {@code maxWindows} windows; a replay stops when its plan is
 * exhausted or its time limit passes. Either then waits at most the request timeout plus 5 s for the
 * requests in flight, and those late replies are not counted.
 */
public final class LoadRunner {

    private static final long DRAIN_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long REPLAY_PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final LoadSettings settings;
    private final ProgressLine progress;

    public LoadRunner(LoadSettings settings, ProgressLine progress) {
        this.settings = settings;
        this.progress = progress;
    }

    public LoadSettings settings() {
        return settings;
    }

    /**
     * Runs {@code level} until the stability rule is met or the window limit is reached.
     *
     * @param batches the client's request bodies in the same order, for their true labels
     */
    public LevelResult measure(InferenceClient client, RequestPlan plan, LoadLevel level, List<RequestBatch> batches) {
        WindowRecorder recorder = new WindowRecorder();
        Issuer issuer = new Issuer(client, plan, recorder, labels(batches));
        issuer.start(level);
        try {
            sleepNanos(settings.warmup().toNanos(), issuer);
            long windowStart = System.nanoTime();
            recorder.snapshot(0);

            List<WindowSnapshot> windows = new ArrayList<>();
            boolean stable = false;
            while (windows.size() < settings.maxWindows() && !issuer.exhausted.get()) {
                sleepNanos(windowStart + settings.window().toNanos() - System.nanoTime(), issuer);
                long now = System.nanoTime();
                windows.add(recorder.snapshot(now - windowStart));
                windowStart = now;
                report(level, windows);
                if (Stability.isStable(windows, settings.stableWindows(), settings.tolerance())) {
                    stable = true;
                    break;
                }
            }
            int used = Math.min(settings.stableWindows(), windows.size());
            WindowSnapshot merged = windows.isEmpty() ? recorder.snapshot(0)
                    : WindowSnapshot.merge(windows.subList(windows.size() - used, windows.size()));
            return new LevelResult(level, windows.size(), stable, merged);
        } finally {
            progress.finish();
            issuer.stop();
        }
    }

    /**
     * Sends every request of a finite {@code plan} with {@code concurrency} callers and counts them all:
     * no warm-up, no windows. Stops early when {@code limit} passes.
     */
    public LevelResult replay(InferenceClient client, RequestPlan plan, int concurrency, List<RequestBatch> batches,
                              Duration limit) {
        LoadLevel level = LoadLevel.closed(concurrency);
        WindowRecorder recorder = new WindowRecorder();
        Issuer issuer = new Issuer(client, plan, recorder, labels(batches));
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        issuer.start(level);
        try {
            long nextProgress = start + REPLAY_PROGRESS_NANOS;
            while (!(issuer.exhausted.get() && issuer.outstanding.get() == 0) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(POLL_NANOS);
                if (System.nanoTime() >= nextProgress) {
                    progress.update(String.format(Locale.ROOT, "%s  %d requests completed, %d in flight",
                            client.describe(), issuer.completed.get(), issuer.outstanding.get()));
                    nextProgress += REPLAY_PROGRESS_NANOS;
                }
            }
            if (!issuer.exhausted.get()) {
                progress.update("replay stopped after " + limit.toSeconds() + " s before the data set was exhausted");
            }
            return new LevelResult(level, 1, null, recorder.snapshot(System.nanoTime() - start));
        } finally {
            progress.finish();
            issuer.stop();
        }
    }

    /**
     * Sends requests with {@code concurrency} callers for the warm-up time of the settings and discards
     * them, so that a replay that follows does not pay for JIT compilation and new connections.
     */
    public void warmUp(InferenceClient client, RequestPlan plan, int concurrency, List<RequestBatch> batches) {
        if (settings.warmup().isZero()) {
            return;
        }
        Issuer issuer = new Issuer(client, plan, new WindowRecorder(), labels(batches));
        issuer.start(LoadLevel.closed(concurrency));
        try {
            progress.update(client.describe() + "  warming up for " + settings.warmup().toMillis() + " ms");
            sleepNanos(settings.warmup().toNanos(), issuer);
        } finally {
            progress.finish();
            issuer.stop();
        }
    }

    private void report(LoadLevel level, List<WindowSnapshot> windows) {
        WindowSnapshot last = windows.get(windows.size() - 1);
        progress.update(String.format(Locale.ROOT, "%s  window %d/%d  %.1f req/s  p50 %.2f ms  p99 %.2f ms  errors %d",
                level.label(), windows.size(), settings.maxWindows(), last.throughput(),
                LevelResult.percentileMillis(last.latency(), 50), LevelResult.percentileMillis(last.latency(), 99),
                last.errorCount()));
    }

    /** Sleeps for {@code nanos}, waking early when a finite plan is exhausted. */
    private static void sleepNanos(long nanos, Issuer issuer) {
        long deadline = System.nanoTime() + nanos;
        while (System.nanoTime() < deadline && !issuer.exhausted.get()) {
            LockSupport.parkNanos(Math.min(POLL_NANOS, Math.max(0, deadline - System.nanoTime())));
        }
    }

    private static int[][] labels(List<RequestBatch> batches) {
        int[][] labels = new int[batches.size()][];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = batches.get(i).labels();
        }
        return labels;
    }

    /** Issues the requests of one level on its own thread, closed- or open-loop. */
    private final class Issuer {

        final InferenceClient client;
        final RequestPlan plan;
        final WindowRecorder recorder;
        final int[][] trueLabels;
        final ExecutorService driver = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "loadtest-driver");
            thread.setDaemon(true);
            return thread;
        });
        final AtomicBoolean issuing = new AtomicBoolean(true);
        final AtomicBoolean exhausted = new AtomicBoolean();
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();

        Issuer(InferenceClient client, RequestPlan plan, WindowRecorder recorder, int[][] trueLabels) {
            this.client = client;
            this.plan = plan;
            this.recorder = recorder;
            this.trueLabels = trueLabels;
        }

        void start(LoadLevel level) {
            if (level.mode() == LoadMode.CLOSED) {
                driver.execute(() -> {
                    for (int i = 0; i < level.concurrency(); i++) {
                        issueClosed();
                    }
                });
            } else {
                long deadline = System.nanoTime() + settings.maxLevelTime().toNanos();
                driver.execute(() -> scheduleOpen(level, deadline));
            }
        }

        /** Sends the next request of one closed-loop caller; runs on the driver thread. */
        private void issueClosed() {
            if (!issuing.get()) {
                return;
            }
            RequestPlan.Request request = plan.next();
            if (request == null) {
                exhausted.set(true);
                return;
            }
            outstanding.incrementAndGet();
            long start = System.nanoTime();
            send(request, start).thenRun(() -> {
                try {
                    driver.execute(this::issueClosed);
                } catch (RejectedExecutionException e) {
                    // The level has ended and the driver is shut down: this caller stops.
                }
            });
        }

        /** Starts requests at the planned times until stopped; runs on the driver thread. */
        private void scheduleOpen(LoadLevel level, long deadline) {
            Random random = new Random(level.hashCode());
            long next = System.nanoTime();
            while (issuing.get() && next < deadline) {
                next += level.arrival().nextIntervalNanos(level.rate(), random);
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                if (!issuing.get()) {
                    return;
                }
                if (outstanding.get() >= settings.maxOutstanding()) {
                    recorder.recordError(ErrorKinds.CLIENT_BACKLOG);
                    continue;
                }
                RequestPlan.Request request = plan.next();
                if (request == null) {
                    exhausted.set(true);
                    return;
                }
                outstanding.incrementAndGet();
                // Latency counts from the planned start, so a slow server cannot hide queueing delay.
                send(request, next);
            }
        }

        private java.util.concurrent.CompletableFuture<Void> send(RequestPlan.Request request, long startNanos) {
            return client.infer(request.batchIndex(), request.stickyKey())
                    .exceptionally(failure -> Reply.failed(ErrorKinds.of(failure), null))
                    .thenAccept(reply -> {
                        if (issuing.get()) {
                            recorder.record(reply, System.nanoTime() - startNanos, trueLabels[request.batchIndex()]);
                            completed.incrementAndGet();
                        }
                        outstanding.decrementAndGet();
                    });
        }

        /** Stops issuing and waits, bounded, for the requests in flight. */
        void stop() {
            issuing.set(false);
            long deadline = System.nanoTime() + settings.requestTimeout().toNanos() + DRAIN_MARGIN_NANOS;
            while (outstanding.get() > 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(POLL_NANOS);
            }
            driver.shutdownNow();
        }
    }
}
