package dev.moeserve.loadtest.scenario;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.grpc.ExpertWorkerServer;
import dev.moeserve.pool.grpc.WorkerOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Expert workers started in this process on 127.0.0.1 and free ports, one per shard of a bundle's
 * experts, like {@code moe worker --shard i/n} without a metrics port.
 */
public final class InProcessWorkers implements AutoCloseable {

    private final List<ExpertWorkerServer> servers;

    private InProcessWorkers(List<ExpertWorkerServer> servers) {
        this.servers = servers;
    }

    /** Starts {@code shards} workers; worker i loads shard {@code i/shards} of the bundle's experts. */
    public static InProcessWorkers start(Path bundleDir, int shards, PoolOptions options) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        }
        Bundle bundle = Bundle.open(bundleDir);
        List<ExpertWorkerServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < shards; i++) {
                LocalExpertPool pool = LocalExpertPool.fromBundle(bundle, ExpertSelection.shard(i, shards),
                        options, new SimpleMeterRegistry());
                servers.add(ExpertWorkerServer.start(pool, WorkerOptions.builder()
                        .host(InProcessRouter.LOOPBACK).port(0).build()));
            }
        } catch (RuntimeException e) {
            servers.forEach(ExpertWorkerServer::close);
            throw e;
        }
        return new InProcessWorkers(servers);
    }

    /** Returns the workers' {@code host:port} addresses, the form {@code moe serve --workers} takes. */
    public List<String> addresses() {
        return servers.stream().map(ExpertWorkerServer::address).toList();
    }

    /** Bytes of expert weights loaded by all workers together. */
    public long weightBytes() {
        return servers.stream().mapToLong(server -> server.pool().weightBytes()).sum();
    }

    @Override
    public void close() {
        servers.forEach(ExpertWorkerServer::close);
    }
}
