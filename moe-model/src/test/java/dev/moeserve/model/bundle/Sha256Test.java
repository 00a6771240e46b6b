package dev.moeserve.model.bundle;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class Sha256Test {

    @Test
    void knownVectorAbc() {
        // FIPS 180-2, appendix B.1.
        assertThat(Sha256.of("abc".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void fileLargerThanBufferMatchesBytes(@TempDir Path dir) throws IOException {
        byte[] data = new byte[200_000];
        new Random(7).nextBytes(data);
        Path file = dir.resolve("data.bin");
        Files.write(file, data);

        assertThat(Sha256.of(file)).isEqualTo(Sha256.of(data));
        assertThat(Sha256.of(file)).matches("[0-9a-f]{64}");
    }
}
