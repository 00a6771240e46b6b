package dev.moeserve.profiler.cli;

import ai.djl.ndarray.NDManager;
import dev.moeserve.model.ProjectHome;
import dev.moeserve.model.bundle.Accuracy;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.bundle.Manifest;
import dev.moeserve.model.bundle.ReducedFrom;
import dev.moeserve.model.bundle.Sha256;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.profiler.agf.PoolSelector;
import dev.moeserve.profiler.agf.ProfileOptions;
import dev.moeserve.profiler.agf.ProfileResult;
import dev.moeserve.profiler.agf.Score;
import dev.moeserve.profiler.agf.UtilityProfile;
import dev.moeserve.profiler.agf.UtilityProfiler;
import dev.moeserve.profiler.bundle.BundleExporter;
import dev.moeserve.profiler.bundle.BundleModels;
import dev.moeserve.profiler.model.DjlRuntime;
import dev.moeserve.profiler.model.VitMoe;
import dev.moeserve.profiler.report.ServedAccuracy;
import dev.moeserve.router.inference.Policies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code moe profile}: scores every expert and optionally writes a reduced pool. */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Score every expert with AGF and the baselines on calibration images from the training"
                + " split, write utility-profile.json, and with --keep write a reduced bundle.")
public final class ProfileCommand implements Callable<Integer> {

    @Option(names = "--bundle", description = "Full bundle to profile (default: ${DEFAULT-VALUE}).")
    Path bundlePath = ProjectHome.path("models/fashion-vit-moe");

    @Option(names = "--data", description = "Folder with the calibration IDX files (default: ${DEFAULT-VALUE}).")
    Path data = ProjectHome.path("data/fashion-mnist");

    @Option(names = "--split", description = "IDX file prefix in --data: calibration (training images 0 to 4,095,"
            + " committed) or train (the full training split of the Debian package) (default: ${DEFAULT-VALUE}).")
    String split = "calibration";

    @Option(names = "--batches", description = "Calibration batches T (default: ${DEFAULT-VALUE}).")
    int batches = ProfileOptions.DEFAULT_BATCHES;

    @Option(names = "--batch-size", description = "Images per calibration batch (default: ${DEFAULT-VALUE}).")
    int batchSize = ProfileOptions.DEFAULT_BATCH_SIZE;

    @Option(names = "--label-free", description = "Use the model's own predictions as targets instead of labels.")
    boolean labelFree;

    @Option(names = "--seed", description = "Seed for the calibration images and the random score (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--path-points", description = "Points K of agf-path, midpoint rule; 0 skips it (default: ${DEFAULT-VALUE}).")
    int pathPoints = ProfileOptions.DEFAULT_PATH_POINTS;

    @Option(names = "--path-batches", description = "Calibration batches, from the first, that agf-path uses"
            + " (default: ${DEFAULT-VALUE}, capped at --batches).")
    int pathBatches = ProfileOptions.DEFAULT_PATH_BATCHES;

    @Option(names = "--no-ablation", description = "Skip the exact ablation score (one forward per expert).")
    boolean noAblation;

    @Option(names = "--elimination-step", description = "Experts ablation-iterative removes per round; 0 skips"
            + " it (default: ${DEFAULT-VALUE}).")
    int eliminationStep = ProfileOptions.DEFAULT_ELIMINATION_STEP;

    @Option(names = "--no-dense", description = "Skip agf-dense (every expert on every token).")
    boolean noDense;

    @Option(names = "--keep", description = "Keep ratio in (0, 1]; writes a reduced bundle holding that share of experts.")
    Double keep;

    // The defaults below were chosen with ./moe evaluate --split validation on training images (docs/profiling.md).
    @Option(names = "--budget", description = "per-layer (same count per layer) or global (one ranking over all"
            + " layers, at least top-k experts per layer) (default: ${DEFAULT-VALUE}).")
    String budget = "global";

    @Option(names = "--score", description = "Score that chooses the kept experts and the router's prior"
            + " (default: ${DEFAULT-VALUE}).")
    String score = "ablation-iterative";

    @Option(names = "--out", description = "Profile file to write (default: <bundle>-profile.json beside the bundle).")
    Path out;

    @Option(names = "--reuse", description = "Reuse the scores of an existing profile (--out) when it was computed"
            + " for this exact bundle, instead of profiling again.")
    boolean reuse;

    @Option(names = "--pool-out", description = "Reduced bundle folder (default: models/<name>-keep<percent>).")
    Path poolOut;

    @Override
    public Integer call() throws Exception {
        Score chosen = Score.parse(score);
        PoolSelector.Budget budgetKind = PoolSelector.Budget.parse(budget);
        if (keep != null && !(keep > 0 && keep <= 1)) {
            throw new IllegalArgumentException("--keep must be in (0, 1], got " + keep);
        }
        ProfileOptions options = new ProfileOptions(batches, batchSize, labelFree, seed, pathPoints,
                Math.min(pathBatches, batches), !noAblation, !noDense, eliminationStep);
        String skipped = options.skippingOption(chosen);
        if (keep != null && skipped != null) {
            throw new IllegalArgumentException("--score " + chosen.id() + " chooses the pool, but " + skipped
                    + " skips computing it");
        }
        DjlRuntime.configure();
        Bundle bundle = Bundle.open(bundlePath);
        Manifest manifest = bundle.manifest();
        Path poolTarget = keep == null ? null : poolTarget(manifest);
        Path profileFile = out != null ? out : defaultProfile(bundlePath);
        String manifestSha = Sha256.of(bundle.resolve(Bundle.MANIFEST_FILE));
        try (NDManager manager = NDManager.newBaseManager()) {
            VitMoe model = BundleModels.load(bundle, manager);
            UtilityProfile previous = reuse ? upToDate(profileFile, manifestSha, keep != null ? chosen.id() : null) : null;
            ProfileResult result = null;
            if (previous != null) {
                System.out.println("Reusing the scores of " + profileFile + " (computed for this bundle)");
            } else {
                FashionMnist.Split calibration = FashionMnist.read(data, split);
                result = new UtilityProfiler(model, options).profile(manager, calibration, System.out);
                printTimings(result.seconds());
            }

            List<List<Integer>> pools = null;
            UtilityProfile.Selection selection = null;
            double[][] scores = null;
            if (keep != null) {
                scores = previous != null ? previous.scores(chosen.id()) : result.score(chosen);
                pools = PoolSelector.select(scores, keep, budgetKind, manifest.layer(0).topK(), chosen.sharedScale());
                selection = new UtilityProfile.Selection(chosen.id(), keep, budgetKind.id());
            }
            // The profile is written before the pool, so that a failure while writing the pool keeps it.
            if (result != null) {
                UtilityProfile.of(manifest.name() + " " + manifest.version(), manifestSha, options, result, selection,
                        pools).write(profileFile);
                System.out.println("Wrote " + profileFile);
            } else if (selection != null) {
                previous.withSelection(selection, pools).write(profileFile);
            }
            if (pools != null) {
                writePool(model, bundle, scores, pools, poolTarget);
            }
        }
        return 0;
    }

    /**
     * Returns the folder the reduced bundle goes to, after checking that it may be replaced: not the
     * bundle being profiled, not another full bundle, and empty or a reduced bundle when it exists.
     */
    private Path poolTarget(Manifest manifest) throws IOException {
        String name = manifest.name() + "-keep" + Math.round(keep * 100);
        Path target = (poolOut != null ? poolOut : bundlePath.toAbsolutePath().getParent().resolve(name))
                .toAbsolutePath().normalize();
        if (Files.exists(target)
                && Files.isSameFile(target, bundlePath.toAbsolutePath())) {
            throw new IllegalArgumentException("--pool-out " + target + " is the bundle being profiled;"
                    + " choose another folder for the reduced pool");
        }
        if (BundleExporter.checkReplaceable(target) == BundleExporter.Existing.FULL_BUNDLE) {
            throw new IllegalArgumentException("--pool-out " + target + " contains a full model bundle, which a"
                    + " reduced pool never replaces; choose another folder");
        }
        return target;
    }

    private void writePool(VitMoe model, Bundle bundle, double[][] scores, List<List<Integer>> pools, Path target)
            throws IOException {
        Manifest manifest = bundle.manifest();
        PoolSelector.Budget budgetKind = PoolSelector.Budget.parse(budget);
        FashionMnist.Split test = FashionMnist.readTest(data);
        double accuracy;
        try (ServedAccuracy served = new ServedAccuracy(bundle)) {
            accuracy = served.run(test, test.count(), Policies.masked("masked", pools,
                    manifest.layer(0).experts())).accuracy();
        }
        System.out.printf("Reduced pool: %.2f%% on the %d test images with masked routing (full model %.2f%%)%n",
                accuracy * 100, test.count(), manifest.accuracy().value() * 100);
        String name = manifest.name() + "-keep" + Math.round(keep * 100);
        ReducedFrom origin = new ReducedFrom(manifest.name(), manifest.version(), score, keep, budgetKind.id());
        Accuracy measured = new Accuracy("fashion-mnist test, masked routing", test.count(), accuracy);
        BundleExporter.export(model, target, new BundleExporter.Options(name, manifest.version(), measured,
                pools, PoolSelector.priors(scores, pools), origin));
        System.out.println("Wrote reduced bundle " + target + " keeping " + kept(pools) + " of "
                + manifest.layers().size() * manifest.layer(0).experts() + " experts by " + score);
    }

    /**
     * Returns the profile in {@code file} when it exists, was computed for the manifest with {@code sha256}
     * and contains {@code score} (when not null); else null, and the bundle is profiled again.
     */
    static UtilityProfile upToDate(Path file, String sha256, String score) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        UtilityProfile profile;
        try {
            profile = UtilityProfile.read(file);
        } catch (IOException e) {
            System.out.println(file + " is not a readable profile (" + e.getClass().getSimpleName()
                    + "); profiling again");
            return null;
        }
        if (!sha256.equals(profile.bundleManifestSha256())) {
            return null;
        }
        if (score != null && !profile.scoreNames().contains(score)) {
            System.out.println(file + " has no " + score + " score; profiling again");
            return null;
        }
        return profile;
    }

    /** Returns the default profile path of a bundle: {@code <bundle folder>-profile.json} beside it. */
    static Path defaultProfile(Path bundle) {
        Path absolute = bundle.toAbsolutePath().normalize();
        return absolute.resolveSibling(absolute.getFileName() + "-profile.json");
    }

    private static int kept(List<List<Integer>> pools) {
        return pools.stream().mapToInt(List::size).sum();
    }

    private static void printTimings(Map<String, Double> seconds) {
        double unit = seconds.getOrDefault("frequency-forward-only", 0.0);
        StringBuilder line = new StringBuilder("Time");
        for (Map.Entry<String, Double> t : seconds.entrySet()) {
            line.append(String.format("  %s %.1f s", t.getKey(), t.getValue()));
            if (unit > 0 && !t.getKey().equals("frequency-forward-only")) {
                line.append(String.format(" (%.1fx)", t.getValue() / unit));
            }
        }
        System.out.println(line);
    }
}
