package dev.moeserve.router.serving;

import dev.moeserve.pool.BackendClosedException;
import dev.moeserve.pool.BackendFailureException;
import dev.moeserve.pool.ExpertNotFoundException;
import dev.moeserve.pool.InvalidInputException;
import dev.moeserve.pool.PoolOverloadedException;
import dev.moeserve.router.policy.PolicyConfigException;
import io.vertx.grpc.common.GrpcStatus;

import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one mapping from exception types to HTTP status, gRPC status and the message the client receives.
 *
 * <p>Client errors keep their message. {@link BackendFailureException} becomes 503 because it covers
 * workers that are down as well as ONNX Runtime failures, and a retry can succeed. An
 * {@link InvalidInputException} from the pool means the router built a wrong expert call, so it is a
 * 500. Anything else is a 500 that names the exception type.
 */
public final class ErrorMapping {

    private ErrorMapping() {
    }

    /**
     * Status and message for one failure.
     *
     * @param httpStatus  HTTP status code
     * @param grpcStatus  gRPC status code
     * @param message     text for {@code {"error": ...}} and the gRPC status message
     * @param serverFault whether the failure is the server's (5xx), which is logged at WARN
     */
    public record Mapped(int httpStatus, GrpcStatus grpcStatus, String message, boolean serverFault) {

        /** Bounded metric tag value: the gRPC status name in lower case, for example {@code invalid_argument}. */
        public String tag() {
            return grpcStatus.name().toLowerCase(Locale.ROOT);
        }
    }

    /** Maps {@code failure}, unwrapping {@link CompletionException} and {@link ExecutionException}. */
    public static Mapped map(Throwable failure) {
        Throwable t = unwrap(failure);
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (t instanceof InvalidRequestException || t instanceof PolicyConfigException) {
            return new Mapped(400, GrpcStatus.INVALID_ARGUMENT, message, false);
        }
        if (t instanceof MethodNotAllowedException) {
            return new Mapped(405, GrpcStatus.UNIMPLEMENTED, message, false);
        }
        if (t instanceof UnauthenticatedException) {
            return new Mapped(401, GrpcStatus.UNAUTHENTICATED, message, false);
        }
        if (t instanceof PermissionDeniedException) {
            return new Mapped(403, GrpcStatus.PERMISSION_DENIED, message, false);
        }
        if (t instanceof NotFoundException) {
            return new Mapped(404, GrpcStatus.NOT_FOUND, message, false);
        }
        if (t instanceof RequestTooLargeException) {
            return new Mapped(413, GrpcStatus.RESOURCE_EXHAUSTED, message, false);
        }
        if (t instanceof OverloadedException || t instanceof PoolOverloadedException) {
            return new Mapped(429, GrpcStatus.RESOURCE_EXHAUSTED, message, false);
        }
        if (t instanceof UnavailableException || t instanceof ExpertNotFoundException
                || t instanceof BackendFailureException || t instanceof BackendClosedException) {
            return new Mapped(503, GrpcStatus.UNAVAILABLE, message, true);
        }
        if (t instanceof InvalidInputException) {
            return new Mapped(500, GrpcStatus.INTERNAL, "internal error: the router sent an invalid expert call: "
                    + message, true);
        }
        return new Mapped(500, GrpcStatus.INTERNAL, "internal error: " + t.getClass().getName() + ": " + message, true);
    }

    /** Returns the cause behind future wrappers. */
    public static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
