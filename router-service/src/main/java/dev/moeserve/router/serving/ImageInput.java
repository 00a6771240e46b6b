package dev.moeserve.router.serving;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Validation and conversion of the image input tensor, shared by REST and gRPC. Accepted: datatype
 * {@code FP32} with values in [0, 1], or {@code UINT8} with values 0 to 255 scaled by 1/255; shape
 * {@code [B, 28, 28]} or {@code [B, 784]} with B between 1 and the configured maximum batch.
 *
 * <p>Every message names the tensor, the rule and the value received, for example
 * {@code inputs[0] (images): shape must be [B, 28, 28] or [B, 784], got [2, 27, 28]}.
 */
public final class ImageInput {

    /** Pixels per image. */
    public static final int PIXELS = 28 * 28;

    /** Element types accepted for the image tensor. */
    public enum Datatype {
        FP32(4), UINT8(1);

        private final int bytes;

        Datatype(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per element in the raw little-endian encoding. */
        public int bytes() {
            return bytes;
        }
    }

    private final String field;
    private final Datatype datatype;
    private final long[] shape;
    private final int batch;
    private final float[] pixels;
    private int count;

    private ImageInput(String field, Datatype datatype, long[] shape, int batch) {
        this.field = field;
        this.datatype = datatype;
        this.shape = shape;
        this.batch = batch;
        this.pixels = new float[batch * PIXELS];
    }

    /**
     * Checks the tensor's name, datatype and shape and returns a builder for its values.
     *
     * @param field        the tensor's place in the request, for example {@code inputs[0]}
     * @param expectedName the model's input name
     * @throws InvalidRequestException when the name, datatype or shape is not accepted
     */
    public static ImageInput begin(String field, String name, String datatype, long[] shape, String expectedName,
                                   int maxBatch) {
        if (!expectedName.equals(name)) {
            throw new InvalidRequestException(field + ".name must be '" + expectedName + "', got "
                    + (name == null ? "none" : "'" + name + "'"));
        }
        String tensor = field + " (" + name + ")";
        Datatype type = datatype(tensor, datatype);
        int batch = batch(tensor, shape, maxBatch);
        return new ImageInput(tensor, type, shape.clone(), batch);
    }

    /** Returns the tensor's name and place in the request, for messages: {@code inputs[0] (images)}. */
    public String field() {
        return field;
    }

    public Datatype datatype() {
        return datatype;
    }

    /** Elements the shape calls for. */
    public int expectedCount() {
        return pixels.length;
    }

    /** Adds the next element, given as a JSON number or a typed protobuf value. */
    public void add(double value) {
        int index = count;
        if (index >= pixels.length) {
            throw tooMany();
        }
        if (datatype == Datatype.FP32) {
            if (!(value >= 0 && value <= 1)) {
                throw new InvalidRequestException(field + ": FP32 values must be finite numbers in [0, 1], got "
                        + value + " at index " + index);
            }
            pixels[index] = (float) value;
        } else {
            if (!(value >= 0 && value <= 255) || value != Math.rint(value)) {
                throw new InvalidRequestException(field + ": UINT8 values must be integers in [0, 255], got "
                        + value + " at index " + index);
            }
            pixels[index] = (float) (value / 255.0);
        }
        count++;
    }

    /** Reads all elements from raw little-endian bytes. */
    public void addRaw(byte[] raw, String rawField) {
        long needed = (long) pixels.length * datatype.bytes();
        if (raw.length != needed) {
            throw new InvalidRequestException(rawField + " has " + raw.length + " bytes, but " + field + " with shape "
                    + Arrays.toString(shape) + " and datatype " + datatype + " needs " + needed);
        }
        if (datatype == Datatype.FP32) {
            ByteBuffer buffer = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < pixels.length; i++) {
                add(buffer.getFloat());
            }
        } else {
            for (byte b : raw) {
                add(b & 0xff);
            }
        }
    }

    /**
     * Returns the images.
     *
     * @throws InvalidRequestException when fewer values were added than the shape calls for
     */
    public ImageBatch finish() {
        if (count != pixels.length) {
            throw new InvalidRequestException(field + ": data has " + count + " values, but shape "
                    + Arrays.toString(shape) + " needs " + pixels.length);
        }
        return new ImageBatch(pixels, batch);
    }

    /** Returns the exception for data with more values than the shape calls for. */
    public InvalidRequestException tooMany() {
        return new InvalidRequestException(field + ": data has more than " + pixels.length + " values, but shape "
                + Arrays.toString(shape) + " needs " + pixels.length);
    }

    private static Datatype datatype(String tensor, String datatype) {
        if ("FP32".equals(datatype)) {
            return Datatype.FP32;
        }
        if ("UINT8".equals(datatype)) {
            return Datatype.UINT8;
        }
        throw new InvalidRequestException(tensor + ": datatype must be FP32 or UINT8, got "
                + (datatype == null ? "none" : "'" + datatype + "'"));
    }

    private static int batch(String tensor, long[] shape, int maxBatch) {
        boolean images = shape.length == 3 && shape[1] == 28 && shape[2] == 28;
        boolean rows = shape.length == 2 && shape[1] == PIXELS;
        if (!images && !rows) {
            throw new InvalidRequestException(tensor + ": shape must be [B, 28, 28] or [B, 784], got "
                    + Arrays.toString(shape));
        }
        if (shape[0] < 1 || shape[0] > maxBatch) {
            throw new InvalidRequestException(tensor + ": batch size (shape[0]) must be between 1 and " + maxBatch
                    + ", got " + shape[0]);
        }
        return (int) shape[0];
    }
}
