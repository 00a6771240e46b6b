package dev.moeserve.pool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Gathers the calls of one expert that arrive within a time window into one ONNX Runtime run, in the
 * manner of Triton's dynamic batcher.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Invariants.</b>
 * <ul>
 *   <li>Calls leave the queue in arrival order. A batch is a prefix of the queue: its input rows are the
 *       callers' rows concatenated in that order, and rows {@code [offset_i, offset_i + n_i)} of the output
 *       go back to caller {@code i} alone. Tokens therefore never mix or reorder between callers.</li>
 *   <li>A batch contains at most {@code maxBatchTokens} tokens, except that a single call with more tokens
 *       runs alone. Calls are never split.</li>
 *   <li>At most one batch of this expert runs at a time (state {@code RUNNING}), and calls that arrive
 *       meanwhile wait for the next batch. At most {@code queueCapacity} calls wait; a call beyond that
 *       fails at once with {@link PoolOverloadedException}, so memory stays bounded.</li>
 *   <li>No call is left behind. While the queue is not empty, either the window timer is armed
 *       ({@code WAITING}) or a batch task is queued or running ({@code RUNNING}), and the task looks at
 *       the queue again when it ends.</li>
 *   <li>A batch starts when the oldest waiting call has waited the window, when the waiting calls reach
 *       {@code maxBatchTokens}, or at once when the batcher is closing.</li>
 * </ul>
 *
 * <p><b>Threads.</b>
 * <ul>
 *   <li>Callers, on any thread including event loops, run {@link #submit}. It holds the lock only to
 *       enqueue and to arm the timer or hand a batch task to the runner executor. It does not wait for
 *       any run.</li>
 *   <li>The pool's scheduler thread fires the window timer. It only hands the batch task to the runner
 *       executor and never runs ONNX Runtime.</li>
 *   <li>A runner thread takes the batch, copies the rows into its reused direct buffers, runs ONNX Runtime,
 *       copies each caller's rows out and completes the futures. Dependent stages of those futures
 *       therefore run on the runner thread unless the caller passes an executor.</li>
 * </ul>
 *
 * <p>With a zero window, batching is off. Each call becomes its own runner task and ONNX Runtime run,
 * calls of one expert may run concurrently, and the capacity bounds the calls not yet started.
 */
final class MicroBatcher {

    private static final Logger LOG = LoggerFactory.getLogger(MicroBatcher.class);

    private enum State { IDLE, WAITING, RUNNING }

    private final ExpertId id;
    private final ExpertKernel kernel;
    private final Executor runners;
    private final ScheduledExecutorService scheduler;
    private final PoolMetrics.ExpertMeters meters;
    private final long windowNanos;
    private final int maxBatchTokens;
    private final int queueCapacity;
    private final FailureLog failures;

    private final Object lock = new Object();
    private final ArrayDeque<Call> queue = new ArrayDeque<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private State state = State.IDLE;
    private ScheduledFuture<?> timer;
    private long queuedTokens;
    private int running;
    private boolean closing;

    MicroBatcher(ExpertId id, ExpertKernel kernel, Executor runners, ScheduledExecutorService scheduler,
                 PoolMetrics.ExpertMeters meters, PoolOptions options) {
        this.id = id;
        this.kernel = kernel;
        this.runners = runners;
        this.scheduler = scheduler;
        this.meters = meters;
        this.windowNanos = options.batchWindow().toNanos();
        this.maxBatchTokens = options.maxBatchTokens();
        this.queueCapacity = options.queueCapacity();
        this.failures = new FailureLog(LOG);
    }

    /**
     * Queues a validated call and returns its future. The caller must not change {@code tokens} until the
     * future completes, because the rows are copied when the batch starts.
     */
    CompletableFuture<float[]> submit(float[] tokens, int tokenCount) {
        Call call = new Call(tokens, tokenCount, System.nanoTime());
        boolean dispatch;
        synchronized (lock) {
            if (closing) {
                return CompletableFuture.failedFuture(new BackendClosedException(
                        "expert " + id + " is closing and accepts no new calls"));
            }
            if (queue.size() >= queueCapacity) {
                meters.overloaded().increment();
                return CompletableFuture.failedFuture(new PoolOverloadedException("expert " + id
                        + " has " + queue.size() + " calls waiting, the queue capacity; retry later"));
            }
            queue.addLast(call);
            queuedTokens += tokenCount;
            dispatch = windowNanos == 0 || startOrArmLocked();
        }
        if (dispatch) {
            dispatch(windowNanos == 0 ? this::runSingle : this::runBatch);
        }
        return call.future;
    }

    /** Returns the calls waiting for a batch. */
    int queuedCalls() {
        synchronized (lock) {
            return queue.size();
        }
    }

    /**
     * Stops accepting calls and starts the waiting ones without waiting for the window. The returned future
     * completes when no call is waiting or running.
     */
    CompletableFuture<Void> close() {
        boolean dispatch = false;
        synchronized (lock) {
            closing = true;
            if (state == State.WAITING) {
                timer.cancel(false);
                timer = null;
                state = State.RUNNING;
                dispatch = true;
            }
            completeDrainedIfIdleLocked();
        }
        if (dispatch) {
            dispatch(this::runBatch);
        }
        return drained;
    }

    /** Decides, with the lock held, whether a new call starts a batch now; otherwise arms the timer if needed. */
    private boolean startOrArmLocked() {
        if (state == State.RUNNING) {
            return false;
        }
        if (queuedTokens >= maxBatchTokens) {
            if (state == State.WAITING) {
                timer.cancel(false);
                timer = null;
            }
            state = State.RUNNING;
            return true;
        }
        if (state == State.IDLE) {
            state = State.WAITING;
            timer = scheduler.schedule(this::onWindowElapsed, windowNanos, TimeUnit.NANOSECONDS);
        }
        return false;
    }

    private void onWindowElapsed() {
        synchronized (lock) {
            if (state != State.WAITING) {
                return;
            }
            timer = null;
            state = State.RUNNING;
        }
        dispatch(this::runBatch);
    }

    private void dispatch(Runnable task) {
        try {
            runners.execute(task);
        } catch (RejectedExecutionException e) {
            failAll(new BackendClosedException("expert " + id + " cannot run: the pool's runner threads stopped"));
        }
    }

    /** Runs the next batch on a runner thread, then starts another batch, arms the timer or goes idle. */
    private void runBatch() {
        List<Call> batch = takeBatch();
        if (!batch.isEmpty()) {
            execute(batch);
        }

        boolean again;
        synchronized (lock) {
            if (queue.isEmpty()) {
                state = State.IDLE;
                completeDrainedIfIdleLocked();
                return;
            }
            long waited = System.nanoTime() - queue.peekFirst().enqueuedNanos;
            again = closing || queuedTokens >= maxBatchTokens || waited >= windowNanos;
            if (!again) {
                state = State.WAITING;
                timer = scheduler.schedule(this::onWindowElapsed, windowNanos - waited, TimeUnit.NANOSECONDS);
            }
        }
        if (again) {
            // A new task rather than a loop, so that other experts' batches queued on the runners get a turn.
            dispatch(this::runBatch);
        }
    }

    /** Runs the oldest call alone: the unbatched path used with a zero window. */
    private void runSingle() {
        Call call;
        synchronized (lock) {
            call = queue.pollFirst();
            if (call == null) {
                return;
            }
            queuedTokens -= call.tokenCount;
            running++;
        }
        try {
            execute(List.of(call));
        } finally {
            synchronized (lock) {
                running--;
                completeDrainedIfIdleLocked();
            }
        }
    }

    private List<Call> takeBatch() {
        synchronized (lock) {
            List<Call> batch = new ArrayList<>();
            long tokens = 0;
            while (!queue.isEmpty()) {
                Call next = queue.peekFirst();
                if (!batch.isEmpty() && tokens + next.tokenCount > maxBatchTokens) {
                    break;
                }
                batch.add(queue.pollFirst());
                tokens += next.tokenCount;
            }
            queuedTokens -= tokens;
            return batch;
        }
    }

    /** Copies the batch into the direct buffers, runs the kernel and completes every call of the batch. */
    private void execute(List<Call> batch) {
        int width = kernel.width();
        int tokens = 0;
        long started = System.nanoTime();
        for (Call call : batch) {
            tokens += call.tokenCount;
            meters.queueWait().record(started - call.enqueuedNanos, TimeUnit.NANOSECONDS);
        }

        try {
            DirectBuffers buffers = DirectBuffers.forCurrentThread();
            FloatBuffer input = buffers.input(tokens * width, maxBatchTokens * width);
            FloatBuffer output = buffers.output(tokens * width, maxBatchTokens * width);
            input.clear();
            for (Call call : batch) {
                input.put(call.tokens, 0, call.tokenCount * width);
            }

            long runStarted = System.nanoTime();
            kernel.run(input, output, tokens);
            meters.execution().record(System.nanoTime() - runStarted, TimeUnit.NANOSECONDS);
            meters.tokens().increment(tokens);
            meters.batchTokens().record(tokens);
            meters.batchCalls().record(batch.size());

            int offset = 0;
            for (Call call : batch) {
                float[] rows = new float[call.tokenCount * width];
                output.get(offset, rows, 0, rows.length);
                offset += rows.length;
                call.future.complete(rows);
            }
        } catch (Exception | OutOfMemoryError e) {
            meters.backendFailure().increment(batch.size());
            failures.log("Expert {} failed in ONNX Runtime on a batch of {} calls ({} tokens): {}", id,
                    batch.size(), tokens, e.toString(), e);
            BackendFailureException failure = new BackendFailureException("expert " + id
                    + " failed in ONNX Runtime on a batch of " + batch.size() + " calls (" + tokens + " tokens): "
                    + e.getMessage(), e);
            batch.forEach(call -> call.future.completeExceptionally(failure));
        }
    }

    private void failAll(RuntimeException failure) {
        List<Call> calls;
        synchronized (lock) {
            calls = new ArrayList<>(queue);
            queue.clear();
            queuedTokens = 0;
            state = State.IDLE;
            completeDrainedIfIdleLocked();
        }
        calls.forEach(call -> call.future.completeExceptionally(failure));
    }

    private void completeDrainedIfIdleLocked() {
        if (closing && queue.isEmpty() && running == 0 && state != State.RUNNING && state != State.WAITING) {
            drained.complete(null);
        }
    }

    /** One caller's request: its rows and its future. */
    private static final class Call {

        final float[] tokens;
        final int tokenCount;
        final long enqueuedNanos;
        final CompletableFuture<float[]> future = new CompletableFuture<>();

        Call(float[] tokens, int tokenCount, long enqueuedNanos) {
            this.tokens = tokens;
            this.tokenCount = tokenCount;
            this.enqueuedNanos = enqueuedNanos;
        }
    }
}
