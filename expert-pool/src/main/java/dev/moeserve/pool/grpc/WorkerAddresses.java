package dev.moeserve.pool.grpc;

import io.vertx.core.net.SocketAddress;

/** Parses worker addresses written {@code host:port}, with IPv6 hosts in brackets: {@code [::1]:9090}. */
final class WorkerAddresses {

    private WorkerAddresses() {
    }

    /**
     * Parses one address.
     *
     * @throws IllegalArgumentException when the text is not {@code host:port} with a port in 1..65535
     */
    static SocketAddress parse(String address) {
        String text = address.trim();
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("worker address must be host:port, got '" + address + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("worker address with an IPv6 host must be [host]:port, got '"
                    + address + "'");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("worker address must end in a numeric port, got '" + address + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("worker port must be between 1 and 65535, got " + port);
        }
        return SocketAddress.inetSocketAddress(port, host);
    }
}
