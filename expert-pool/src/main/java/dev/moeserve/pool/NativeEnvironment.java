package dev.moeserve.pool;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Sets variables in the process's native environment (libc {@code setenv}), which native libraries
 * read with {@code getenv}. Java's own {@code System.getenv} view is not changed.
 */
final class NativeEnvironment {

    private interface LibC extends Library {
        int setenv(String name, String value, int overwrite);
    }

    private NativeEnvironment() {
    }

    /** Sets {@code name} to {@code value}, replacing any value; returns false when libc refused it. */
    static boolean set(String name, String value) {
        LibC libc = Native.load("c", LibC.class);
        return libc.setenv(name, value, 1) == 0;
    }
}
