package dev.moeserve.pool;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The behaviour every {@link ExpertBackend} shares. A subclass provides a backend that serves experts 0:0,
 * 0:1 and 1:2 of the fixture bundle (width 64), and a direct session of each to compare against.
 */
public abstract class ExpertBackendContract {

    protected static final int WIDTH = ExpertFixtures.WIDTH;
    protected static final ExpertId FIRST = new ExpertId(0, 0);
    protected static final ExpertId SECOND = new ExpertId(0, 1);
    protected static final ExpertId THIRD = new ExpertId(1, 2);

    /** The backend under test, serving exactly {@link #FIRST}, {@link #SECOND} and {@link #THIRD}. */
    protected abstract ExpertBackend backend();

    /** Runs the expert directly on its own ONNX Runtime session, the reference for outputs. */
    protected abstract float[] runDirectly(ExpertId id, float[] tokens, int tokenCount) throws Exception;

    @Test
    void outputsMatchDirectSessionBitwise() throws Exception {
        for (ExpertId id : new ExpertId[] {FIRST, SECOND, THIRD}) {
            for (int tokenCount : new int[] {1, 7, 50}) {
                float[] tokens = ExpertFixtures.tokens(id.hashCode() * 31L + tokenCount, tokenCount);

                float[] outputs = await(backend().run(id, tokens, tokenCount, WIDTH));

                assertThat(outputs)
                        .as("outputs of expert %s on %d tokens", id, tokenCount)
                        .containsExactly(runDirectly(id, tokens, tokenCount));
            }
        }
    }

    @Test
    void expertsDifferFromEachOther() throws Exception {
        float[] tokens = ExpertFixtures.tokens(5, 3);

        float[] first = await(backend().run(FIRST, tokens, 3, WIDTH));
        float[] second = await(backend().run(SECOND, tokens, 3, WIDTH));

        assertThat(Arrays.equals(first, second)).as("outputs of two different experts are equal").isFalse();
    }

    @Test
    void zeroTokensGiveEmptyOutputs() throws Exception {
        assertThat(await(backend().run(FIRST, new float[0], 0, WIDTH))).isEmpty();
    }

    @Test
    void listsItsExperts() {
        assertThat(backend().experts()).containsExactlyInAnyOrder(FIRST, SECOND, THIRD);
        assertThat(backend().weightBytes()).isPositive();
    }

    @Test
    void unknownExpertFailsNamingIt() {
        ExpertId unknown = new ExpertId(3, 9);

        assertThatThrownBy(() -> await(backend().run(unknown, ExpertFixtures.tokens(1, 2), 2, WIDTH)))
                .isInstanceOf(ExpertNotFoundException.class)
                .hasMessageContaining("3:9");
    }

    @Test
    void wrongWidthFailsNamingExpectedAndReceived() {
        float[] tokens = new float[2 * 32];

        assertThatThrownBy(() -> await(backend().run(FIRST, tokens, 2, 32)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("width 64")
                .hasMessageContaining("got 32");
    }

    @Test
    void wrongLengthFailsNamingExpectedAndReceived() {
        float[] tokens = new float[3 * WIDTH - 1];

        assertThatThrownBy(() -> await(backend().run(FIRST, tokens, 3, WIDTH)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("192")
                .hasMessageContaining("got 191");
    }

    @Test
    void nanInputFails() {
        float[] tokens = ExpertFixtures.tokens(2, 2);
        tokens[WIDTH + 3] = Float.NaN;

        assertThatThrownBy(() -> await(backend().run(FIRST, tokens, 2, WIDTH)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("NaN")
                .hasMessageContaining("token 1, element 3");
    }

    @Test
    void infiniteInputFails() {
        float[] tokens = ExpertFixtures.tokens(3, 1);
        tokens[0] = Float.NEGATIVE_INFINITY;

        assertThatThrownBy(() -> await(backend().run(FIRST, tokens, 1, WIDTH)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("Infinity");
    }

    /** Waits for a future and rethrows the exception it failed with, unwrapped. */
    protected static float[] await(CompletableFuture<float[]> future) throws Exception {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
