package dev.moeserve.pool;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoolOptionsTest {

    @Test
    void defaultsAreTheDocumentedValues() {
        PoolOptions options = PoolOptions.defaults();

        assertThat(options.batchWindow()).isEqualTo(Duration.ofMillis(1));
        assertThat(options.maxBatchTokens()).isEqualTo(512);
        assertThat(options.queueCapacity()).isEqualTo(1024);
        assertThat(options.executionProvider()).isEqualTo(ExecutionProvider.CPU);
        assertThat(options.intraOpThreads()).isEqualTo(OrtRuntime.threads());
        assertThat(options.batchingEnabled()).isTrue();
    }

    @Test
    void zeroWindowTurnsBatchingOff() {
        assertThat(PoolOptions.builder().batchWindow(Duration.ZERO).build().batchingEnabled()).isFalse();
    }

    @Test
    void invalidFieldsAreNamedWithTheirValue() {
        assertThatThrownBy(() -> PoolOptions.builder().maxBatchTokens(0).build())
                .hasMessage("maxBatchTokens must be between 1 and 1048576, got 0");
        assertThatThrownBy(() -> PoolOptions.builder().queueCapacity(-1).build())
                .hasMessage("queueCapacity must be at least 1, got -1");
        assertThatThrownBy(() -> PoolOptions.builder().batchWindow(Duration.ofSeconds(2)).build())
                .hasMessage("batchWindow must be between 0 and 1000 ms, got 2000000 us");
        assertThatThrownBy(() -> PoolOptions.builder().intraOpThreads(0).build())
                .hasMessage("intraOpThreads must be at least 1, got 0");
        assertThatThrownBy(() -> PoolOptions.builder().cudaDeviceId(-2).build())
                .hasMessage("cudaDeviceId must be at least 0, got -2");
    }

    @Test
    void toBuilderKeepsEveryField() {
        PoolOptions options = PoolOptions.builder().maxBatchTokens(64).queueCapacity(7)
                .executionProvider(ExecutionProvider.CUDA).cudaDeviceId(1).build();

        assertThat(options.toBuilder().build()).isEqualTo(options);
    }

    @Test
    void executionProviderParsesIgnoringCase() {
        assertThat(ExecutionProvider.parse("CUDA")).isEqualTo(ExecutionProvider.CUDA);
        assertThatThrownBy(() -> ExecutionProvider.parse("tpu")).hasMessageContaining("cpu or cuda, got 'tpu'");
    }
}
