package dev.moeserve.router.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Random;

/** Deterministic test images and KServe v2 request bodies built from them. */
public final class TestImages {

    public static final int PIXELS = 784;

    private TestImages() {
    }

    /** Returns {@code batch * 784} pixel bytes 0 to 255 from {@code seed}. */
    public static int[] bytes(int batch, long seed) {
        Random random = new Random(seed);
        int[] out = new int[batch * PIXELS];
        for (int i = 0; i < out.length; i++) {
            out[i] = random.nextInt(256);
        }
        return out;
    }

    /** Returns the pixels of {@link #bytes} scaled to [0, 1]. */
    public static float[] floats(int batch, long seed) {
        int[] bytes = bytes(batch, seed);
        float[] out = new float[bytes.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytes[i] / 255f;
        }
        return out;
    }

    /** Returns a request with one FP32 tensor of shape {@code [batch, 28, 28]}, data flat. */
    public static JsonObject fp32Request(float[] pixels, int batch) {
        JsonArray data = new JsonArray();
        for (float p : pixels) {
            data.add(p);
        }
        return request("FP32", new JsonArray().add(batch).add(28).add(28), data);
    }

    /** Returns a request with one FP32 tensor {@code [batch, 28, 28]}, data nested by image, row and column. */
    public static JsonObject fp32NestedRequest(float[] pixels, int batch) {
        JsonArray images = new JsonArray();
        for (int i = 0; i < batch; i++) {
            JsonArray rows = new JsonArray();
            for (int r = 0; r < 28; r++) {
                JsonArray row = new JsonArray();
                for (int c = 0; c < 28; c++) {
                    row.add(pixels[i * PIXELS + r * 28 + c]);
                }
                rows.add(row);
            }
            images.add(rows);
        }
        return request("FP32", new JsonArray().add(batch).add(28).add(28), images);
    }

    /** Returns a request with one UINT8 tensor of shape {@code [batch, 784]}, data flat. */
    public static JsonObject uint8Request(int[] bytes, int batch) {
        JsonArray data = new JsonArray();
        for (int b : bytes) {
            data.add(b);
        }
        return request("UINT8", new JsonArray().add(batch).add(784), data);
    }

    /** Returns a request with one tensor named {@code images}. */
    public static JsonObject request(String datatype, JsonArray shape, JsonArray data) {
        JsonObject tensor = new JsonObject().put("name", "images").put("datatype", datatype).put("shape", shape)
                .put("data", data);
        return new JsonObject().put("inputs", new JsonArray().add(tensor));
    }
}
