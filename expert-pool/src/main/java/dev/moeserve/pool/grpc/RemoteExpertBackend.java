package dev.moeserve.pool.grpc;

import dev.moeserve.pool.BackendClosedException;
import dev.moeserve.pool.BackendFailureException;
import dev.moeserve.pool.ExpertBackend;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.ExpertNotFoundException;
import dev.moeserve.pool.FailureLog;
import dev.moeserve.pool.InputValidation;
import dev.moeserve.pool.InvalidInputException;
import dev.moeserve.pool.PoolOverloadedException;
import dev.moeserve.pool.grpc.proto.ListExpertsResponse;
import dev.moeserve.pool.grpc.proto.RunExpertsRequest;
import dev.moeserve.pool.grpc.proto.RunExpertsResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The router's client of remote expert workers. It calls ListExperts on every worker when it connects,
 * sends each call to one worker that loaded the expert, and on a failure tries the next such worker.
 *
 * <p>Each call to one worker carries the deadline {@link RemoteOptions#callDeadline()}. The workers that
 * loaded an expert are tried in a rotating order, so calls spread over them, and a worker that failed
 * within {@link RemoteOptions#failureBackoff()} is tried last. A status that blames the input
 * (INVALID_ARGUMENT) fails the call at once, and any other failure moves on to the next worker. When all of
 * them failed, the call fails with {@link PoolOverloadedException} if every one reported
 * RESOURCE_EXHAUSTED, else with {@link BackendFailureException} naming the expert and each worker tried
 * with its error.
 *
 * <p>Futures complete on a Vert.x event-loop thread, so dependent stages must not block.
 */
public final class RemoteExpertBackend implements ExpertBackend {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteExpertBackend.class);

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final GrpcClient client;
    private final List<WorkerLink> workers;
    private final RemoteOptions options;
    private volatile ExpertRoutes routes;
    /** The last ListExperts response of every worker that ever responded, kept while it is down. */
    private final Map<WorkerLink, ListExpertsResponse> known = new ConcurrentHashMap<>();
    private volatile long probeTimer = -1;
    private final AtomicLong turns = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CompletableFuture<Void> idle = new CompletableFuture<>();
    private final FailureLog retries = new FailureLog(LOG);
    private final Map<WorkerLink, String> failures = new ConcurrentHashMap<>();

    private RemoteExpertBackend(Vertx vertx, boolean ownsVertx, GrpcClient client, List<WorkerLink> workers,
                                RemoteOptions options) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.client = client;
        this.workers = List.copyOf(workers);
        this.options = options;
    }

    /** Connects to the workers at {@code host:port} addresses with the default options. */
    public static RemoteExpertBackend connect(List<String> addresses) {
        return connect(addresses, RemoteOptions.defaults());
    }

    /** Connects to the workers with its own Vert.x instance, which {@link #close()} closes. */
    public static RemoteExpertBackend connect(List<String> addresses, RemoteOptions options) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        try {
            return connect(vertx, true, addresses, options);
        } catch (RuntimeException e) {
            vertx.close();
            throw e;
        }
    }

    /** Connects to the workers over the caller's Vert.x instance, which stays open after {@link #close()}. */
    public static RemoteExpertBackend connect(Vertx vertx, List<String> addresses, RemoteOptions options) {
        return connect(vertx, false, addresses, options);
    }

    /**
     * Connects and waits for every worker's ListExperts response or failure. Workers that fail are logged
     * and left out of the routes until {@link #refresh()} reaches them.
     *
     * @throws IllegalArgumentException when the list is empty or an address is not {@code host:port}
     * @throws BackendFailureException  when no worker responds
     */
    private static RemoteExpertBackend connect(Vertx vertx, boolean ownsVertx, List<String> addresses,
                                               RemoteOptions options) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("the list of worker addresses must not be empty");
        }
        GrpcClient client = GrpcClient.client(vertx,
                new GrpcClientOptions()
                        .setMaxMessageSize(options.maxMessageBytes())
                        .setScheduleDeadlineAutomatically(true),
                new HttpClientOptions()
                        .setHttp2ClearTextUpgrade(false)
                        .setConnectTimeout((int) options.connectTimeout().toMillis()));
        List<WorkerLink> links = new ArrayList<>();
        for (String address : addresses) {
            links.add(new WorkerLink(address, WorkerAddresses.parse(address), client));
        }
        RemoteExpertBackend backend = new RemoteExpertBackend(vertx, ownsVertx, client, links, options);
        try {
            backend.refresh().get(options.callDeadline().toMillis() + options.connectTimeout().toMillis() + 1_000,
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.close();
            throw new BackendFailureException("connecting to the expert workers was interrupted", e);
        } catch (Exception e) {
            client.close();
            Throwable cause = GrpcErrors.unwrap(e);
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new BackendFailureException("connecting to the expert workers failed: " + cause, cause);
        }
        if (!options.probeInterval().isZero()) {
            backend.probeTimer = vertx.setPeriodic(options.probeInterval().toMillis(), id -> backend.probe());
        }
        return backend;
    }

    /**
     * Calls ListExperts on every worker again and rebuilds the routes from the last response of every
     * worker that ever responded. A worker that does not respond counts as down until it does. When no
     * worker has ever responded, the future fails with {@link BackendFailureException}.
     */
    public CompletableFuture<Void> refresh() {
        return listAll().transform(done -> {
            List<String> unreachable = unreachable();
            if (known.isEmpty()) {
                return Future.<Void>failedFuture(new BackendFailureException(
                        "no expert worker responded to ListExperts: " + String.join(", ", unreachable)));
            }
            if (!unreachable.isEmpty()) {
                LOG.warn("Expert workers {} did not respond to ListExperts; until they do, their experts are"
                        + " served by other workers or not at all", unreachable);
            }
            LOG.info("Expert routes: {} experts on {} of {} workers", routes.all().size(),
                    workers.size() - unreachable.size(), workers.size());
            return Future.<Void>succeededFuture();
        }).toCompletionStage().toCompletableFuture();
    }

    /** Asks every worker ListExperts and updates routes and health, logging only workers that changed state. */
    private void probe() {
        if (closing.get()) {
            return;
        }
        Map<WorkerLink, Boolean> wasDown = new LinkedHashMap<>();
        for (WorkerLink worker : workers) {
            wasDown.put(worker, worker.down());
        }
        listAll().onComplete(done -> {
            for (Map.Entry<WorkerLink, Boolean> before : wasDown.entrySet()) {
                WorkerLink worker = before.getKey();
                if (before.getValue() && !worker.down()) {
                    LOG.info("Expert worker {} answers again", worker.address());
                } else if (!before.getValue() && worker.down()) {
                    LOG.warn("Expert worker {} did not answer its health probe", worker.address());
                }
            }
        });
    }

    /** Calls ListExperts on every worker, records which ones responded, and rebuilds the routes. */
    private Future<Void> listAll() {
        Map<WorkerLink, Future<ListExpertsResponse>> calls = new LinkedHashMap<>();
        for (WorkerLink worker : workers) {
            calls.put(worker, worker.listExperts(options.callDeadline()));
        }
        return Future.join(new ArrayList<>(calls.values())).transform(done -> {
            for (Map.Entry<WorkerLink, Future<ListExpertsResponse>> call : calls.entrySet()) {
                WorkerLink worker = call.getKey();
                if (call.getValue().succeeded()) {
                    known.put(worker, call.getValue().result());
                    failures.remove(worker);
                    worker.markHealthy();
                } else {
                    worker.markFailed();
                    failures.put(worker, call.getValue().cause().getMessage());
                }
            }
            Map<WorkerLink, ListExpertsResponse> answers = new LinkedHashMap<>();
            for (WorkerLink worker : workers) {
                ListExpertsResponse answer = known.get(worker);
                if (answer != null) {
                    answers.put(worker, answer);
                }
            }
            if (!answers.isEmpty()) {
                routes = ExpertRoutes.of(answers);
            }
            return Future.<Void>succeededFuture();
        });
    }

    /** Returns the workers down now, each with the error of its last failed ListExperts call. */
    private List<String> unreachable() {
        List<String> out = new ArrayList<>();
        for (WorkerLink worker : workers) {
            if (worker.down()) {
                out.add(worker.address() + " (" + failures.getOrDefault(worker, "failed a call") + ")");
            }
        }
        return out;
    }

    /** Returns the experts of {@code required} that no worker has loaded or whose workers are all down. */
    @Override
    public Set<ExpertId> unavailable(Set<ExpertId> required) {
        ExpertRoutes current = routes;
        Set<ExpertId> missing = new TreeSet<>();
        for (ExpertId id : required) {
            ExpertRoutes.Route route = current == null ? null : current.route(id);
            if (route == null || route.holders().stream().allMatch(WorkerLink::down)) {
                missing.add(id);
            }
        }
        return missing;
    }

    @Override
    public CompletableFuture<float[]> run(ExpertId id, float[] tokens, int tokenCount, int width) {
        if (closing.get()) {
            return CompletableFuture.failedFuture(new BackendClosedException("the remote expert backend is closing"));
        }
        ExpertRoutes.Route route = id == null ? null : routes.route(id);
        if (route == null) {
            return CompletableFuture.failedFuture(new ExpertNotFoundException("expert " + id
                    + " is loaded on none of the workers " + addresses(workers) + ", which hold "
                    + ExpertId.describe(routes.all().keySet())));
        }
        InvalidInputException invalid = InputValidation.check(id, route.width(), tokens, tokenCount, width);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        if (tokenCount == 0) {
            return CompletableFuture.completedFuture(new float[0]);
        }

        RunExpertsRequest request = RunExpertsRequest.newBuilder()
                .setLayer(id.layer())
                .setExpert(id.expert())
                .setTokenCount(tokenCount)
                .setWidth(width)
                .setTokens(FloatBytes.encode(tokens))
                .build();
        CompletableFuture<float[]> result = new CompletableFuture<>();
        inFlight.incrementAndGet();
        result.whenComplete((outputs, failure) -> {
            if (inFlight.decrementAndGet() == 0 && closing.get()) {
                idle.complete(null);
            }
        });
        List<WorkerLink> order = route.order(turns.getAndIncrement(), options.failureBackoff());
        attempt(id, request, order, 0, new ArrayList<Attempt>(), result);
        return result;
    }

    @Override
    public Set<ExpertId> experts() {
        return routes.all().keySet();
    }

    /** Returns the bytes of weights the workers loaded, counting an expert once per worker that loaded it. */
    @Override
    public long weightBytes() {
        return routes.weightBytes();
    }

    /** Returns the worker addresses, in the order given to {@code connect}. */
    public List<String> workerAddresses() {
        return addresses(workers);
    }

    /**
     * Stops accepting calls, waits up to {@link RemoteOptions#closeTimeout()} for the calls in flight,
     * then closes the connections (and the Vert.x instance when this backend created it). Blocks, so it
     * must not run on an event loop.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        if (probeTimer >= 0) {
            vertx.cancelTimer(probeTimer);
        }
        if (inFlight.get() == 0) {
            idle.complete(null);
        }
        try {
            idle.get(options.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("{} remote expert calls were still in flight after {} ms; closing the connections anyway",
                    inFlight.get(), options.closeTimeout().toMillis());
        }
        ExpertWorkerServer.await(client.close(), "closing the gRPC client");
        if (ownsVertx) {
            ExpertWorkerServer.await(vertx.close(), "closing Vert.x");
        }
        LOG.info("Remote expert backend closed");
    }

    /** Sends the call to {@code order[index]} and, when that fails, moves on to the next worker. */
    private void attempt(ExpertId id, RunExpertsRequest request, List<WorkerLink> order, int index,
                         List<Attempt> failures, CompletableFuture<float[]> result) {
        WorkerLink worker = order.get(index);
        worker.runExperts(request, options.callDeadline()).onComplete(outcome -> {
            if (outcome.succeeded()) {
                worker.markHealthy();
                completeWith(id, request, worker, outcome.result(), result);
                return;
            }
            WorkerCallException failure = asCallFailure(outcome.cause());
            if (failure.status() == GrpcStatus.INVALID_ARGUMENT) {
                result.completeExceptionally(new InvalidInputException(failure.getMessage()));
                return;
            }
            if (failure.status() != GrpcStatus.RESOURCE_EXHAUSTED) {
                worker.markFailed();
            }
            failures.add(new Attempt(worker.address(), failure.status(), failure.getMessage()));
            if (index + 1 < order.size()) {
                retries.log("Expert {} failed on worker {}: {}; retrying on {}", id, worker.address(),
                        failure.getMessage(), order.get(index + 1).address());
                attempt(id, request, order, index + 1, failures, result);
                return;
            }
            result.completeExceptionally(finalFailure(id, failures, order));
        });
    }

    private static void completeWith(ExpertId id, RunExpertsRequest request, WorkerLink worker,
                                     RunExpertsResponse response, CompletableFuture<float[]> result) {
        long expected = (long) request.getTokenCount() * request.getWidth() * Float.BYTES;
        if (response.getOutputs().size() != expected) {
            result.completeExceptionally(new BackendFailureException("worker " + worker.address() + " returned "
                    + response.getOutputs().size() + " bytes of outputs for expert " + id + ", expected " + expected));
            return;
        }
        result.complete(FloatBytes.decode(response.getOutputs()));
    }

    private static RuntimeException finalFailure(ExpertId id, List<Attempt> failures, List<WorkerLink> order) {
        String tried = String.join("; ", failures.stream().map(Attempt::toString).toList());
        if (failures.stream().allMatch(attempt -> attempt.status() == GrpcStatus.RESOURCE_EXHAUSTED)) {
            return new PoolOverloadedException("expert " + id + " is overloaded on every worker that loaded it ("
                    + tried + ")");
        }
        return new BackendFailureException("expert " + id + " failed on every worker that loaded it (tried "
                + addresses(order) + "): " + tried);
    }

    private static WorkerCallException asCallFailure(Throwable failure) {
        Throwable cause = GrpcErrors.unwrap(failure);
        if (cause instanceof WorkerCallException call) {
            return call;
        }
        return new WorkerCallException(null, String.valueOf(cause), cause);
    }

    private static List<String> addresses(List<WorkerLink> links) {
        return links.stream().map(WorkerLink::address).toList();
    }

    /** One failed call to one worker; {@code status} is null when no gRPC status arrived. */
    private record Attempt(String address, GrpcStatus status, String message) {

        @Override
        public String toString() {
            return address + ": " + message;
        }
    }
}
