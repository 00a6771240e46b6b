package dev.moeserve.router.testing;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.ExpertBackend;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.ExpertNotFoundException;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.router.inference.TrunkModel;
import dev.moeserve.router.serving.ServingModel;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/** Expert backends that wrap the in-process pool to hold calls back or to fail them, for tests. */
public final class TestBackends {

    private TestBackends() {
    }

    /** Loads {@code bundleDir} with its experts in process, wrapped by {@code wrap}. */
    public static ServingModel model(Path bundleDir, Path poolDir, Function<ExpertBackend, ExpertBackend> wrap) {
        Bundle bundle = Bundle.open(bundleDir);
        Bundle pool = poolDir == null ? null : Bundle.open(poolDir);
        TrunkModel trunk = TrunkModel.load(bundle);
        return ServingModel.of(bundle, pool, trunk, wrap.apply(LocalExpertPool.load(ServingModel.expertFiles(bundle))));
    }

    /** Holds every expert call until {@link #open()}; {@link #entered} counts down at the first call. */
    public static final class Gated implements ExpertBackend {

        public final CountDownLatch entered = new CountDownLatch(1);
        private final CompletableFuture<Void> gate = new CompletableFuture<>();
        private final ExpertBackend delegate;

        public Gated(ExpertBackend delegate) {
            this.delegate = delegate;
        }

        /** Lets held and later calls through. */
        public void open() {
            gate.complete(null);
        }

        @Override
        public CompletableFuture<float[]> run(ExpertId id, float[] tokens, int tokenCount, int width) {
            entered.countDown();
            return gate.thenCompose(v -> delegate.run(id, tokens, tokenCount, width));
        }

        @Override
        public Set<ExpertId> experts() {
            return delegate.experts();
        }

        @Override
        public long weightBytes() {
            return delegate.weightBytes();
        }

        @Override
        public void close() {
            open();
            delegate.close();
        }
    }

    /**
     * Blocks the calling thread for {@code delayMillis} in every expert call while {@link #slow} is set,
     * like a backend that does its work synchronously. Any wait for an inference result on an event loop
     * then shows up as a blocked event loop.
     */
    public static final class Slow implements ExpertBackend {

        public final AtomicBoolean slow = new AtomicBoolean();
        private final ExpertBackend delegate;
        private final long delayMillis;

        public Slow(ExpertBackend delegate, long delayMillis) {
            this.delegate = delegate;
            this.delayMillis = delayMillis;
        }

        @Override
        public CompletableFuture<float[]> run(ExpertId id, float[] tokens, int tokenCount, int width) {
            if (slow.get()) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return CompletableFuture.failedFuture(e);
                }
            }
            return delegate.run(id, tokens, tokenCount, width);
        }

        @Override
        public Set<ExpertId> experts() {
            return delegate.experts();
        }

        @Override
        public long weightBytes() {
            return delegate.weightBytes();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /** Reports every expert of its delegate but fails calls to {@code lost}, like a worker that lost one. */
    public static final class Losing implements ExpertBackend {

        private final ExpertBackend delegate;
        private final ExpertId lost;

        public Losing(ExpertBackend delegate, ExpertId lost) {
            this.delegate = delegate;
            this.lost = lost;
        }

        @Override
        public CompletableFuture<float[]> run(ExpertId id, float[] tokens, int tokenCount, int width) {
            if (id.equals(lost)) {
                return CompletableFuture.failedFuture(new ExpertNotFoundException("expert " + id + " is not loaded"));
            }
            return delegate.run(id, tokens, tokenCount, width);
        }

        @Override
        public Set<ExpertId> experts() {
            return delegate.experts();
        }

        @Override
        public long weightBytes() {
            return delegate.weightBytes();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
