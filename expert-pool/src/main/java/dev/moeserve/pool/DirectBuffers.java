package dev.moeserve.pool;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Direct input and output buffers owned by one runner thread and reused across its batches, because a
 * fresh direct buffer per run pays page faults. A run larger than the retained size gets buffers that are
 * dropped after it, so one oversized call does not pin its memory for the life of the thread.
 */
final class DirectBuffers {

    private static final ThreadLocal<DirectBuffers> PER_THREAD = ThreadLocal.withInitial(DirectBuffers::new);

    private FloatBuffer input;
    private FloatBuffer output;

    private DirectBuffers() {
    }

    /** Returns the calling thread's buffers. */
    static DirectBuffers forCurrentThread() {
        return PER_THREAD.get();
    }

    /** Returns an input buffer of at least {@code floats} floats, retained when it fits {@code retainedFloats}. */
    FloatBuffer input(int floats, int retainedFloats) {
        if (floats > retainedFloats) {
            return allocate(floats);
        }
        if (input == null || input.capacity() < floats) {
            input = allocate(retainedFloats);
        }
        return input;
    }

    /** Returns an output buffer of at least {@code floats} floats, retained when it fits {@code retainedFloats}. */
    FloatBuffer output(int floats, int retainedFloats) {
        if (floats > retainedFloats) {
            return allocate(floats);
        }
        if (output == null || output.capacity() < floats) {
            output = allocate(retainedFloats);
        }
        return output;
    }

    private static FloatBuffer allocate(int floats) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(floats, Float.BYTES))
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }
}
