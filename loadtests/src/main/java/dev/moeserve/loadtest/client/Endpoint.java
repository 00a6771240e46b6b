package dev.moeserve.loadtest.client;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A {@code host:port} the load generator sends to. Only loopback targets are accepted unless remote
 * targets are allowed explicitly: {@code localhost}, or an IPv4 or IPv6 literal in the loopback range.
 * Host names other than {@code localhost} are rejected without a DNS lookup.
 *
 * @param host the host as given, without IPv6 brackets
 * @param port the TCP port
 */
public record Endpoint(String host, int port) {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

    public Endpoint {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
        }
    }

    /**
     * Parses {@code host:port} or {@code [ipv6]:port}.
     *
     * @param allowRemote whether a target outside the loopback range is accepted
     * @throws IllegalArgumentException when the text is malformed, or the target is not loopback and
     *                                  {@code allowRemote} is false
     */
    public static Endpoint parse(String text, boolean allowRemote) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("target must be HOST:PORT or [IPV6]:PORT, got '" + text + "'");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("target must be HOST:PORT or [IPV6]:PORT, got '" + text + "'");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("target port must be a number, got '" + port + "' in '" + text + "'");
        }
        Endpoint endpoint = new Endpoint(host, number);
        if (!allowRemote && !endpoint.isLoopback()) {
            throw new IllegalArgumentException("target " + text + " is not a loopback address (127.0.0.0/8, ::1 or "
                    + "localhost); pass --allow-remote to send load to another machine");
        }
        return endpoint;
    }

    /** Returns whether the host is {@code localhost} or a loopback IP literal; never queries DNS. */
    public boolean isLoopback() {
        if ("localhost".equals(host.toLowerCase(Locale.ROOT))) {
            return true;
        }
        boolean literal = IPV4.matcher(host).matches() || (host.contains(":") && IPV6.matcher(host).matches());
        if (!literal) {
            return false;
        }
        try {
            // For an IP literal, getByName parses the text and performs no lookup.
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Returns {@code host:port}, with brackets around an IPv6 host. */
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
