package dev.moeserve.pool.grpc;

import com.google.protobuf.ByteString;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Float bytes and worker addresses as they travel or are configured. */
class WireFormatTest {

    @Test
    void floatsAreLittleEndianAndRoundTrip() {
        float[] values = {1.0f, -2.5f, Float.MIN_VALUE, Float.MAX_VALUE, -0.0f};

        ByteString bytes = FloatBytes.encode(values);

        assertThat(bytes.size()).isEqualTo(values.length * 4);
        assertThat(bytes.toByteArray()).startsWith(0x00, 0x00, (byte) 0x80, 0x3f);
        assertThat(FloatBytes.decode(bytes)).containsExactly(values);
    }

    @Test
    void addressesParseWithIpv6InBrackets() {
        SocketAddress v4 = WorkerAddresses.parse("127.0.0.1:9090");
        SocketAddress v6 = WorkerAddresses.parse("[::1]:9091");

        assertThat(v4.host()).isEqualTo("127.0.0.1");
        assertThat(v4.port()).isEqualTo(9090);
        assertThat(v6.host()).isEqualTo("::1");
        assertThat(v6.port()).isEqualTo(9091);
    }

    @Test
    void malformedAddressesAreRejected() {
        assertThatThrownBy(() -> WorkerAddresses.parse("localhost")).hasMessageContaining("host:port");
        assertThatThrownBy(() -> WorkerAddresses.parse("::1:9090")).hasMessageContaining("[host]:port");
        assertThatThrownBy(() -> WorkerAddresses.parse("h:x")).hasMessageContaining("numeric port");
        assertThatThrownBy(() -> WorkerAddresses.parse("h:70000")).hasMessageContaining("got 70000");
    }
}
