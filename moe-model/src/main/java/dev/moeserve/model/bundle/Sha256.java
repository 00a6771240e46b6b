package dev.moeserve.model.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests as 64 lower-case hex digits, the form used in {@code manifest.json}. */
public final class Sha256 {

    private static final int BUFFER_BYTES = 1 << 16;

    private Sha256() {
    }

    /** Computes the SHA-256 of a file, reading it in 64 KiB chunks. */
    public static String of(Path file) throws IOException {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[BUFFER_BYTES];
        try (InputStream in = Files.newInputStream(file)) {
            int read;
            while ((read = in.read(buffer)) != -1) {
                digest.update(buffer, 0, read);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Computes the SHA-256 of {@code data}. */
    public static String of(byte[] data) {
        return HexFormat.of().formatHex(newDigest().digest(data));
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must implement SHA-256 (java.security.MessageDigest javadoc).
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
