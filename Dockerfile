# syntax=docker/dockerfile:1
# Image of the router (moe serve) and the expert workers (moe worker), with the reference bundle and its
# keep-0.5 pool. Build: docker build -t moe-serving:0.1.0 .   Run: see docker-compose.yml.
# Everything installed comes from Debian (JDK, JRE, Maven, curl) and Maven Central (the Java libraries).

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The reactor needs every module's POM; only the modules the image runs are compiled.
COPY pom.xml ./
COPY utility-profiler/pom.xml utility-profiler/
COPY loadtests/pom.xml loadtests/
COPY moe-model moe-model
COPY expert-pool expert-pool
COPY router-service router-service
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -Dmaven.test.skip=true -pl router-service -am package

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /opt/moe --shell /usr/sbin/nologin moe
# router-service/target/lib holds the runtime classpath of both commands (expert-pool included).
COPY --from=build /src/router-service/target/lib/ /opt/moe/lib/
COPY --from=build /src/router-service/target/router-service-*.jar /opt/moe/lib/
COPY models/fashion-vit-moe /opt/moe/models/fashion-vit-moe
COPY models/fashion-vit-moe-keep50 /opt/moe/models/fashion-vit-moe-keep50
COPY deploy/policies/policies.yaml /etc/moe/policies.yaml
COPY --chmod=0755 deploy/docker/moe-entrypoint.sh /opt/moe/bin/moe-entrypoint

# ONNX Runtime sends no telemetry; the JVM sizes its heap from the container's memory limit.
ENV ORT_DISABLE_TELEMETRY=1 \
    JAVA_OPTS="-XX:MaxRAMPercentage=75"
USER 10001
WORKDIR /opt/moe
# Router: REST, /metrics and /admin on 8080, gRPC on 8081. Worker: gRPC on 9090, /metrics on 9091.
EXPOSE 8080 8081 9090 9091
# Checks the router; the worker services override it (docker-compose.yml) to check their metrics port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/v2/health/ready || exit 1
ENTRYPOINT ["/opt/moe/bin/moe-entrypoint"]
CMD ["serve", "--bundle", "/opt/moe/models/fashion-vit-moe", "--pool", "/opt/moe/models/fashion-vit-moe-keep50", \
     "--policies", "/etc/moe/policies.yaml", "--host", "0.0.0.0", "--http-port", "8080", "--grpc-port", "8081"]
