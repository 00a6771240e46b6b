package dev.moeserve.router.serving;

import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.MoeLayerSpec;
import dev.moeserve.pool.ExpertBackend;
import dev.moeserve.pool.ExpertId;
import dev.moeserve.pool.ExpertSelection;
import dev.moeserve.pool.LocalExpertPool;
import dev.moeserve.pool.PoolOptions;
import dev.moeserve.pool.grpc.RemoteExpertBackend;
import dev.moeserve.router.inference.TrunkModel;
import dev.moeserve.router.policy.PolicySpec;
import dev.moeserve.router.policy.ReducedPool;
import dev.moeserve.router.policy.TableSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The model a router serves: the bundle's trunk and gates, the expert backend, and the reduced pool that the
 * {@code masked}, {@code agf-prior} and {@code cascade} policies route with. Closing it closes the
 * trunk and the backend.
 */
public final class ServingModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServingModel.class);

    private final Bundle bundle;
    private final ReducedPool pool;
    private final TrunkModel trunk;
    private final ExpertBackend backend;
    private final Set<ExpertId> startExperts;

    private ServingModel(Bundle bundle, ReducedPool pool, TrunkModel trunk, ExpertBackend backend) {
        this.bundle = bundle;
        this.pool = pool;
        this.trunk = trunk;
        this.backend = backend;
        this.startExperts = Set.copyOf(backend.experts());
    }

    /**
     * Returns the experts the backend held when the model was loaded but cannot serve now, for example
     * because every worker that loaded them is down. Empty while the router can serve as it started.
     */
    public Set<ExpertId> unavailableExperts() {
        return backend.unavailable(startExperts);
    }

    /**
     * Opens and verifies {@code bundleDir}, loads its trunk and gates, and runs its experts in process with
     * the expert pool's default options and a private metrics registry.
     *
     * @param poolDir a reduced bundle cut from the same model whose pools and priors the policies use, or
     *                null. Without it, a reduced {@code bundleDir} supplies its own pools; a full one
     *                allows only {@code topk}.
     */
    public static ServingModel load(Path bundleDir, Path poolDir) {
        return load(bundleDir, poolDir, List.of(), new SimpleMeterRegistry());
    }

    /**
     * Like {@link #load(Path, Path)}, with the experts on remote workers when {@code workers} is not empty,
     * and the in-process pool's meters registered in {@code registry}.
     *
     * @param workers expert worker addresses {@code host:port}; empty runs the bundle's experts in process
     * @throws dev.moeserve.model.bundle.BundleException when a bundle is invalid
     * @throws dev.moeserve.pool.BackendFailureException when experts cannot be loaded or no worker responds
     */
    public static ServingModel load(Path bundleDir, Path poolDir, List<String> workers, MeterRegistry registry) {
        Bundle bundle = Bundle.open(bundleDir);
        Bundle poolBundle = poolDir == null ? null : Bundle.open(poolDir);
        TrunkModel trunk = TrunkModel.load(bundle);
        ExpertBackend backend = null;
        try {
            backend = workers.isEmpty()
                    ? LocalExpertPool.fromBundle(bundle, ExpertSelection.all(), PoolOptions.defaults(), registry)
                    : RemoteExpertBackend.connect(workers);
            return of(bundle, poolBundle, trunk, backend);
        } catch (RuntimeException e) {
            if (backend != null) {
                backend.close();
            }
            trunk.close();
            throw e;
        }
    }

    /**
     * Assembles a model from parts already loaded, for example a remote or test backend. The result owns
     * {@code trunk} and {@code backend}; when this throws, the caller still does.
     *
     * @param poolBundle the reduced bundle for the policies, or null (see {@link #load})
     */
    public static ServingModel of(Bundle bundle, Bundle poolBundle, TrunkModel trunk, ExpertBackend backend) {
        Manifest manifest = bundle.manifest();
        ReducedPool pool = null;
        if (poolBundle != null) {
            pool = ReducedPool.fromManifest(manifest, poolBundle.manifest(), poolBundle.directory().toString());
        } else if (manifest.isReduced()) {
            pool = ReducedPool.fromManifest(manifest, manifest, bundle.directory().toString());
        }
        ServingModel model = new ServingModel(bundle, pool, trunk, backend);
        LOG.info("Serving {} {} from {}: {} MoE layers, {} of {} experts held by the backend, reduced pool {}",
                manifest.name(), manifest.version(), bundle.directory(), manifest.layers().size(),
                backend.experts().size(), totalExperts(manifest), pool == null ? "none" : pool.source());
        return model;
    }

    /** Files of every expert the bundle contains, for {@link LocalExpertPool#load}. */
    public static Map<ExpertId, Path> expertFiles(Bundle bundle) {
        Map<ExpertId, Path> files = new TreeMap<>();
        for (MoeLayerSpec layer : bundle.manifest().layers()) {
            for (int expert : layer.expertFiles().keySet()) {
                files.put(new ExpertId(layer.index(), expert), bundle.expertFile(layer.index(), expert));
            }
        }
        return files;
    }

    /**
     * The table served when none is configured: {@code topk} when the backend holds every expert,
     * otherwise {@code masked} on the reduced pool.
     */
    public TableSpec defaultTable() {
        boolean holdsAll = backend.experts().size() == totalExperts(manifest());
        if (holdsAll || pool == null) {
            return TableSpec.single(PolicySpec.of(PolicySpec.TOPK));
        }
        return TableSpec.single(PolicySpec.of(PolicySpec.MASKED));
    }

    public Bundle bundle() {
        return bundle;
    }

    public Manifest manifest() {
        return bundle.manifest();
    }

    /** Returns the reduced pool for the policies, or null. */
    public ReducedPool pool() {
        return pool;
    }

    public TrunkModel trunk() {
        return trunk;
    }

    public ExpertBackend backend() {
        return backend;
    }

    /** Model name as served: the manifest's name. */
    public String name() {
        return manifest().name();
    }

    /** Model version as served: the manifest's version. */
    public String version() {
        return manifest().version();
    }

    /** Returns the largest top-k of any layer: the last dimension of {@code routed_experts}. */
    public int maxTopK() {
        return manifest().layers().stream().mapToInt(MoeLayerSpec::topK).max().orElse(0);
    }

    /** Class labels in the order of the logits. */
    public List<String> labels() {
        return manifest().labels();
    }

    @Override
    public void close() {
        try {
            backend.close();
        } finally {
            trunk.close();
        }
    }

    private static int totalExperts(Manifest manifest) {
        return manifest.layers().stream().mapToInt(MoeLayerSpec::experts).sum();
    }
}
