package dev.moeserve.pool.grpc;

import dev.moeserve.pool.BackendClosedException;
import dev.moeserve.pool.BackendFailureException;
import dev.moeserve.pool.ExpertNotFoundException;
import dev.moeserve.pool.InvalidInputException;
import dev.moeserve.pool.PoolOverloadedException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one mapping from the pool's exceptions to gRPC status codes, which the worker sends for failed calls.
 * {@link RemoteExpertBackend} maps the codes back to the same exception types.
 *
 * <table>
 *   <caption>Exceptions and status codes</caption>
 *   <tr><th>exception</th><th>status</th></tr>
 *   <tr><td>{@link ExpertNotFoundException}</td><td>NOT_FOUND</td></tr>
 *   <tr><td>{@link InvalidInputException}, {@link IllegalArgumentException}</td><td>INVALID_ARGUMENT</td></tr>
 *   <tr><td>{@link PoolOverloadedException}</td><td>RESOURCE_EXHAUSTED</td></tr>
 *   <tr><td>{@link BackendClosedException}</td><td>UNAVAILABLE</td></tr>
 *   <tr><td>{@link StatusException}</td><td>its own status</td></tr>
 *   <tr><td>{@link BackendFailureException} and anything else</td><td>INTERNAL</td></tr>
 * </table>
 */
public final class GrpcErrors {

    private GrpcErrors() {
    }

    /** Returns the status for a failure, after unwrapping {@link CompletionException} and {@link ExecutionException}. */
    public static GrpcStatus statusOf(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof StatusException status) {
            return status.status();
        }
        if (cause instanceof ExpertNotFoundException) {
            return GrpcStatus.NOT_FOUND;
        }
        if (cause instanceof InvalidInputException || cause instanceof IllegalArgumentException) {
            return GrpcStatus.INVALID_ARGUMENT;
        }
        if (cause instanceof PoolOverloadedException) {
            return GrpcStatus.RESOURCE_EXHAUSTED;
        }
        if (cause instanceof BackendClosedException) {
            return GrpcStatus.UNAVAILABLE;
        }
        return GrpcStatus.INTERNAL;
    }

    /** Strips the wrappers that futures add around the real failure. */
    public static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
