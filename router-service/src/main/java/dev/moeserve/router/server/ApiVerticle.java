package dev.moeserve.router.server;

import dev.moeserve.router.grpc.GrpcApi;
import dev.moeserve.router.http.HttpApi;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;

/**
 * One event-loop instance of the HTTP server (REST, metrics, admin) and the gRPC server. Several
 * instances on the same ports share the connections.
 */
final class ApiVerticle extends VerticleBase {

    private final HttpApi httpApi;
    private final GrpcApi grpcApi;
    private final String host;
    private final int httpPort;
    private final int grpcPort;
    private final long maxMessageBytes;
    private volatile int boundHttpPort;
    private volatile int boundGrpcPort;

    ApiVerticle(HttpApi httpApi, GrpcApi grpcApi, String host, int httpPort, int grpcPort, long maxMessageBytes) {
        this.httpApi = httpApi;
        this.grpcApi = grpcApi;
        this.host = host;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public Future<?> start() {
        HttpServer http = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(httpPort))
                .requestHandler(httpApi.router(vertx));
        GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(maxMessageBytes));
        grpcApi.bind(grpc);
        HttpServer grpcHttp = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(grpcPort))
                .requestHandler(grpc);
        return Future.all(http.listen(), grpcHttp.listen()).onSuccess(servers -> {
            boundHttpPort = http.actualPort();
            boundGrpcPort = grpcHttp.actualPort();
        });
    }

    int boundHttpPort() {
        return boundHttpPort;
    }

    int boundGrpcPort() {
        return boundGrpcPort;
    }
}
