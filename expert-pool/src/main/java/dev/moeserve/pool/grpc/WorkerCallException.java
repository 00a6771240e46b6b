package dev.moeserve.pool.grpc;

import io.vertx.grpc.common.GrpcStatus;

/** A call to one worker that ended with a gRPC status other than OK, or without any status. */
final class WorkerCallException extends RuntimeException {

    private final GrpcStatus status;

    /**
     * @param status the status the worker sent, or null when the call failed before a status arrived
     *               (connection refused, reset, deadline reached)
     */
    WorkerCallException(GrpcStatus status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** Returns the worker's status, or null when none arrived. */
    GrpcStatus status() {
        return status;
    }
}
