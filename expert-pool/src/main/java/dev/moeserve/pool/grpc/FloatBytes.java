package dev.moeserve.pool.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Converts float arrays to and from the protocol's raw little-endian float32 bytes. */
final class FloatBytes {

    private FloatBytes() {
    }

    /** Encodes {@code values} as little-endian float32 bytes without a second copy. */
    static ByteString encode(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(values.length, Float.BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        // The array is not shared after this point, so wrapping it without a copy is safe.
        return UnsafeByteOperations.unsafeWrap(bytes.array());
    }

    /** Decodes little-endian float32 bytes; the byte count must be a multiple of 4. */
    static float[] decode(ByteString bytes) {
        float[] values = new float[bytes.size() / Float.BYTES];
        bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }
}
