package dev.moeserve.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HttpInferenceClientTest {

    @Test
    void requestBodyIsUint8Tensor() throws Exception {
        byte[] pixels = new byte[2 * RequestBatch.PIXELS];
        pixels[0] = (byte) 255;
        pixels[RequestBatch.PIXELS] = 7;

        JsonNode body = new ObjectMapper().readTree(HttpInferenceClient.encode(
                new RequestBatch(pixels, new int[] {3, 4}, 2), "images"));

        JsonNode input = body.path("inputs").path(0);
        assertThat(input.path("name").asText()).isEqualTo("images");
        assertThat(input.path("datatype").asText()).isEqualTo("UINT8");
        assertThat(input.path("shape").toString()).isEqualTo("[2,28,28]");
        assertThat(input.path("data").size()).isEqualTo(2 * RequestBatch.PIXELS);
        assertThat(input.path("data").get(0).asInt()).isEqualTo(255);
        assertThat(input.path("data").get(RequestBatch.PIXELS).asInt()).isEqualTo(7);
        assertThat(body.path("outputs").toString()).isEqualTo("[{\"name\":\"label\"}]");
    }

    @Test
    void batchScalesPixelsToUnitRange() {
        byte[] pixels = new byte[RequestBatch.PIXELS];
        pixels[1] = (byte) 255;
        pixels[2] = (byte) 51;

        float[] scaled = new RequestBatch(pixels, new int[] {0}, 1).scaledPixels();

        assertThat(scaled[0]).isZero();
        assertThat(scaled[1]).isEqualTo(1f);
        assertThat(scaled[2]).isEqualTo(0.2f);
    }
}
