package dev.moeserve.router.policy;

import java.nio.charset.StandardCharsets;

/**
 * Maps a sticky key (a request id or header value) to a number in [0, 1) that is the same for the same
 * key in every process and version. The hash is 64-bit FNV-1a over the UTF-8 bytes followed by the
 * MurmurHash3 finalizer, so that keys differing in one character spread over the whole range.
 */
public final class StickyHash {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private StickyHash() {
    }

    /** Returns a value in [0, 1) determined by {@code key} alone. */
    public static double unit(String key) {
        long h = FNV_OFFSET;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (h >>> 11) * 0x1.0p-53;
    }
}
