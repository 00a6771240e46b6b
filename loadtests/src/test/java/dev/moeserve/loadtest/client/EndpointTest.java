package dev.moeserve.loadtest.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndpointTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:8080", "127.1.2.3:1", "localhost:8081", "LOCALHOST:8081", "[::1]:9090"})
    void loopbackTargetsAreAccepted(String target) {
        assertThat(Endpoint.parse(target, false).isLoopback()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1:8080", "0.0.0.0:8080", "[2001:db8::1]:80", "router:8080", "example.com:443"})
    void otherTargetsAreRejectedWithoutAllowRemote(String target) {
        assertThatThrownBy(() -> Endpoint.parse(target, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a loopback address")
                .hasMessageContaining("--allow-remote");
    }

    @Test
    void allowRemoteAcceptsOtherTargets() {
        Endpoint endpoint = Endpoint.parse("10.0.0.1:8080", true);

        assertThat(endpoint.host()).isEqualTo("10.0.0.1");
        assertThat(endpoint.port()).isEqualTo(8080);
        assertThat(endpoint.isLoopback()).isFalse();
    }

    @Test
    void ipv6HostKeepsBracketsInText() {
        assertThat(Endpoint.parse("[::1]:9090", false)).hasToString("[::1]:9090");
        assertThat(Endpoint.parse("[::1]:9090", false).host()).isEqualTo("::1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.1:", ":8080", "::1:80", "127.0.0.1:http", "127.0.0.1:70000", "[::1]80"})
    void malformedTargetsAreRejected(String target) {
        assertThatThrownBy(() -> Endpoint.parse(target, true)).isInstanceOf(IllegalArgumentException.class);
    }
}
