package dev.moeserve.loadtest.client;

import io.vertx.core.http.HttpClosedException;

import java.net.ConnectException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Maps client-side failures to the short, bounded error kinds of the reports. */
public final class ErrorKinds {

    /** A request that did not complete within the request timeout. */
    public static final String TIMEOUT = "timeout";

    /** A connection that could not be opened. */
    public static final String CONNECTION = "connection";

    /** A connection closed before the reply arrived. */
    public static final String CLOSED = "connection_closed";

    /** An open-loop start skipped because too many requests were in flight. */
    public static final String CLIENT_BACKLOG = "client_backlog";

    /** A reply that arrived but could not be read. */
    public static final String BAD_REPLY = "bad_reply";

    private ErrorKinds() {
    }

    /** Returns the kind of a failed request. */
    public static String of(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout")) {
            return TIMEOUT;
        }
        if (cause instanceof ConnectException) {
            return CONNECTION;
        }
        if (cause instanceof HttpClosedException) {
            return CLOSED;
        }
        return "exception_" + cause.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }

    /** Returns the kind of an HTTP status other than 200: {@code http_503}. */
    public static String ofHttpStatus(int status) {
        return "http_" + status;
    }

    /** Returns the kind of a gRPC status other than OK: {@code grpc_resource_exhausted}. */
    public static String ofGrpcStatus(String statusName) {
        return "grpc_" + statusName.toLowerCase(Locale.ROOT);
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
