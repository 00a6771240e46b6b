package dev.moeserve.profiler.cli;

import dev.moeserve.model.ProjectHome;
import dev.moeserve.model.bundle.Bundle;
import dev.moeserve.model.data.FashionMnist;
import dev.moeserve.profiler.agf.PoolSelector;
import dev.moeserve.profiler.agf.UtilityProfile;
import dev.moeserve.profiler.report.AccuracyReport;
import dev.moeserve.profiler.report.Evaluation;
import dev.moeserve.profiler.report.ReportRow;
import dev.moeserve.profiler.report.SeedSummary;
import dev.moeserve.profiler.report.ServedAccuracy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code moe evaluate}: test-split accuracy per score, keep ratio, budget and routing policy. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Serve the test split through the router's inference library for the full model and every"
                + " score x keep ratio x routing policy, and write report.csv, report.md and accuracy.png.")
public final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--bundle", split = ",", description = "Full bundles, one per training seed (default: ${DEFAULT-VALUE}).")
    List<Path> bundles = new ArrayList<>(List.of(ProjectHome.path("models/fashion-vit-moe")));

    @Option(names = "--profile", split = ",", description = "Utility profile of each bundle, in the same order"
            + " (default: utility-profile.json beside each bundle's reduced pools, see ./moe profile).")
    List<Path> profiles = new ArrayList<>();

    @Option(names = "--scores", split = ",", description = "Scores to evaluate (default: every score in the profile).")
    List<String> scores = new ArrayList<>();

    @Option(names = "--keeps", split = ",", description = "Keep ratios (default: ${DEFAULT-VALUE}).")
    List<Double> keeps = new ArrayList<>(List.of(0.75, 0.5, 0.25));

    @Option(names = "--budgets", split = ",", description = "per-layer and/or global (default: ${DEFAULT-VALUE}).")
    List<String> budgets = new ArrayList<>(List.of("global"));

    @Option(names = "--betas", split = ",", description = "Betas of agf-prior (default: ${DEFAULT-VALUE}).")
    List<Double> betas = new ArrayList<>(List.of(0.5));

    @Option(names = "--no-prior", description = "Skip the agf-prior policy (evaluate masked and cascade only).")
    boolean noPrior;

    @Option(names = "--taus", split = ",", description = "Confidence thresholds of cascade (default: ${DEFAULT-VALUE}).")
    List<Double> taus = new ArrayList<>(List.of(0.5, 0.7, 0.9));

    @Option(names = "--cascade-score", description = "Score whose pools the cascade serves (default: ${DEFAULT-VALUE}).")
    String cascadeScore = "ablation-iterative";

    @Option(names = "--default-score", description = "Score compared with each baseline over seeds (default: ${DEFAULT-VALUE}).")
    String defaultScore = "ablation-iterative";

    @Option(names = "--limit", description = "Evaluate only the first N images of the split (default: all).")
    Integer limit;

    @Option(names = "--split", description = "t10k (the test split, for the final table) or validation (training"
            + " images 55,000 to 59,999, for choosing the default score and beta) (default: ${DEFAULT-VALUE}).")
    String split = "t10k";

    @Option(names = "--record-choice", description = "With --split validation: write the chosen default score,"
            + " K and beta into each profile evaluated (field validationChoice).")
    boolean recordChoice;

    @Option(names = "--data", description = "Folder with the IDX files (default: ${DEFAULT-VALUE}).")
    Path data = ProjectHome.path("data/fashion-mnist");

    @Option(names = "--out", description = "Folder for the report (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("out/report");

    @Override
    public Integer call() throws Exception {
        if (!split.equals("t10k") && !split.equals("validation")) {
            throw new IllegalArgumentException("--split must be t10k or validation, got '" + split + "'");
        }
        if (recordChoice && !split.equals("validation")) {
            throw new IllegalArgumentException("--record-choice needs --split validation, got --split " + split
                    + ": the test split decides nothing");
        }
        FashionMnist.Split test = FashionMnist.read(data, split);
        int limit = this.limit == null ? test.count() : this.limit;
        if (limit < 1 || limit > test.count()) {
            throw new IllegalArgumentException("--limit must be between 1 and " + test.count() + ", got " + limit);
        }
        List<PoolSelector.Budget> budgetKinds = budgets.stream().map(PoolSelector.Budget::parse).toList();
        if (!profiles.isEmpty() && profiles.size() != bundles.size()) {
            throw new IllegalArgumentException("--profile must list one profile per --bundle, in the same order:"
                    + " got " + profiles.size() + " profiles for " + bundles.size() + " bundles");
        }
        // Everything that can be checked is checked before the first image is served.
        List<Bundle> opened = new ArrayList<>();
        List<Path> profilePaths = new ArrayList<>();
        List<UtilityProfile> profilesRead = new ArrayList<>();
        for (int i = 0; i < bundles.size(); i++) {
            Bundle bundle = Bundle.open(bundles.get(i));
            if (bundle.manifest().isReduced()) {
                throw new IllegalArgumentException("--bundle " + bundles.get(i) + " is a reduced pool; evaluate"
                        + " needs the full bundle, whose profile chooses the pools");
            }
            opened.add(bundle);
            Path profilePath = i < profiles.size() ? profiles.get(i) : ProfileCommand.defaultProfile(bundles.get(i));
            if (profilePaths.contains(profilePath)) {
                throw new IllegalArgumentException("profile " + profilePath + " is given for two bundles; each"
                        + " bundle needs its own profile");
            }
            profilePaths.add(profilePath);
            profilesRead.add(readProfile(profilePath, bundles.get(i)));
        }

        List<ReportRow> rows = new ArrayList<>();
        for (int i = 0; i < opened.size(); i++) {
            Bundle bundle = opened.get(i);
            UtilityProfile profile = profilesRead.get(i);
            List<String> chosen = scores.isEmpty() ? profile.scoreNames() : scores;
            String name = bundles.get(i).getFileName().toString();
            System.out.printf("Evaluating %s on %d %s images: %d scores x %d keep ratios x %d budgets%n", name,
                    limit, split.equals("t10k") ? "test" : "validation", chosen.size(), keeps.size(), budgetKinds.size());
            long started = System.nanoTime();
            try (ServedAccuracy served = new ServedAccuracy(bundle)) {
                rows.addAll(Evaluation.run(name, bundle.manifest(), profile, served, test,
                        new Evaluation.Grid(chosen, keeps, budgetKinds, noPrior ? List.of() : betas, taus, cascadeScore,
                        limit), System.out));
            }
            System.out.printf("  %.0f s%n", (System.nanoTime() - started) / 1e9);
        }
        String header = String.format("Fashion-MNIST %s split, first %d images; bundles %s.",
                split.equals("t10k") ? "test" : "validation", limit, bundles);
        AccuracyReport.write(out, rows, header);
        if (split.equals("validation")) {
            ValidationChoice choice = ValidationChoice.of(rows);
            System.out.println(choice.describe());
            Files.writeString(out.resolve("validation-choice.json"), choice.toJson());
            if (recordChoice) {
                List<String> names = bundles.stream().map(b -> b.getFileName().toString()).toList();
                String images = String.format("Fashion-MNIST training images 55,000 to 59,999, first %d", limit);
                for (int i = 0; i < profilePaths.size(); i++) {
                    UtilityProfile profile = profilesRead.get(i);
                    profile.withValidationChoice(choice.record(profile.options().pathPoints(), images, keeps, names))
                            .write(profilePaths.get(i));
                    System.out.println("Recorded the choice in " + profilePaths.get(i));
                }
            }
        }
        if (bundles.size() > 1) {
            Files.writeString(out.resolve("seeds.md"), SeedSummary.markdown(rows, defaultScore));
        }
        System.out.println("Wrote " + out.resolve("report.csv") + ", report.md and accuracy.png");
        return 0;
    }
    /**
     * Reads the profile of {@code bundle} and checks, before any evaluation, that it exists, parses, contains
     * every requested score and, with {@code --record-choice}, can be written.
     */
    private UtilityProfile readProfile(Path profilePath, Path bundle) {
        if (!Files.isRegularFile(profilePath)) {
            throw new IllegalArgumentException("profile " + profilePath + " not found; run ./moe profile --bundle "
                    + bundle + " first, or pass --profile");
        }
        UtilityProfile profile;
        try {
            profile = UtilityProfile.read(profilePath);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("profile " + profilePath + " is not a readable profile ("
                    + e.getClass().getSimpleName() + "); run ./moe profile --bundle " + bundle + " again", e);
        }
        List<String> missing = scores.stream().filter(score -> !profile.scoreNames().contains(score)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("profile " + profilePath + " has no score " + missing + "; it has "
                    + profile.scoreNames());
        }
        if (recordChoice && !Files.isWritable(profilePath)) {
            throw new IllegalArgumentException("--record-choice writes into profile " + profilePath
                    + ", which is not writable");
        }
        return profile;
    }
}
