package dev.moeserve.profiler.agf;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Content of {@code utility-profile.json}: per layer and expert every score, its rank (1 = most useful),
 * the share of routed tokens and whether it is kept; the options and timings of the pass.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"bundle", "bundleManifestSha256", "options", "selection", "seconds", "costRelativeToFrequency",
        "spearmanWithAblation", "validationChoice", "layers"})
public record UtilityProfile(String bundle, String bundleManifestSha256, ProfileOptions options, Selection selection,
                             Map<String, Double> seconds, Map<String, Double> costRelativeToFrequency,
                             Map<String, List<Double>> spearmanWithAblation, ValidationChoice validationChoice,
                             List<Layer> layers) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Choice of the kept pool (score, keep ratio, budget), or null when no pool was written. */
    public record Selection(String score, double keepRatio, String budget) {
    }

    /**
     * The default score, path points K and beta of {@code agf-prior} chosen on a validation split with
     * these scores ({@code ./moe evaluate --split validation --record-choice}); null until then.
     *
     * @param score              score with the best mean accuracy under {@code masked} routing
     * @param pathPoints         K of {@code agf-path} in this profile
     * @param beta               beta of {@code agf-prior} for that score, 0 when none tried beats
     *                           {@code masked}, null when none was tried
     * @param split              the images the choice was made on
     * @param keepRatios         keep ratios the mean is taken over
     * @param bundles            bundles the mean is taken over
     * @param meanMaskedAccuracy mean accuracy under {@code masked} routing by score
     */
    public record ValidationChoice(String score, int pathPoints, Double beta, String split, List<Double> keepRatios,
                                   List<String> bundles, Map<String, Double> meanMaskedAccuracy) {
    }

    /** Returns this profile with {@code selection} recorded and the experts of {@code pools} marked kept. */
    public UtilityProfile withSelection(Selection selection, List<List<Integer>> pools) {
        List<Layer> marked = new ArrayList<>();
        for (Layer layer : layers) {
            List<Expert> experts = new ArrayList<>();
            for (Expert e : layer.experts()) {
                boolean kept = pools.get(layer.index()).contains(e.index());
                experts.add(new Expert(e.index(), e.routedShare(), kept, e.scores(), e.ranks()));
            }
            marked.add(new Layer(layer.index(), experts));
        }
        return new UtilityProfile(bundle, bundleManifestSha256, options, selection, seconds, costRelativeToFrequency,
                spearmanWithAblation, validationChoice, marked);
    }

    /** Returns this profile with {@code choice} recorded in it. */
    public UtilityProfile withValidationChoice(ValidationChoice choice) {
        return new UtilityProfile(bundle, bundleManifestSha256, options, selection, seconds, costRelativeToFrequency,
                spearmanWithAblation, choice, layers);
    }

    /** One MoE layer. */
    public record Layer(int index, List<Expert> experts) {
    }

    /** One expert: scores and ranks by score name. */
    @JsonPropertyOrder({"index", "routedShare", "kept", "scores", "ranks"})
    public record Expert(int index, double routedShare, boolean kept, Map<String, Double> scores,
                         Map<String, Integer> ranks) {
    }

    /** Builds the profile from a pass; {@code pools} (null for none) marks the kept experts. */
    public static UtilityProfile of(String bundle, String manifestSha256, ProfileOptions options, ProfileResult result,
                                    Selection selection, List<List<Integer>> pools) {
        int layers = result.routedShare().length;
        int experts = result.routedShare()[0].length;
        List<Layer> layerList = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            Map<Score, int[]> ranks = new LinkedHashMap<>();
            for (Map.Entry<Score, double[][]> s : result.scores().entrySet()) {
                List<Integer> order = PoolSelector.ranked(s.getValue()[l]);
                int[] rank = new int[experts];
                for (int r = 0; r < order.size(); r++) {
                    rank[order.get(r)] = r + 1;
                }
                ranks.put(s.getKey(), rank);
            }
            List<Expert> list = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                Map<String, Double> scores = new LinkedHashMap<>();
                Map<String, Integer> rankOf = new LinkedHashMap<>();
                for (Map.Entry<Score, double[][]> s : result.scores().entrySet()) {
                    scores.put(s.getKey().id(), s.getValue()[l][e]);
                    rankOf.put(s.getKey().id(), ranks.get(s.getKey())[e]);
                }
                boolean kept = pools != null && pools.get(l).contains(e);
                list.add(new Expert(e, result.routedShare()[l][e], kept, scores, rankOf));
            }
            layerList.add(new Layer(l, list));
        }
        Map<String, Double> relative = new LinkedHashMap<>();
        double unit = result.seconds().getOrDefault("frequency-forward-only", 0.0);
        for (Map.Entry<String, Double> t : result.seconds().entrySet()) {
            relative.put(t.getKey(), unit > 0 ? t.getValue() / unit : null);
        }
        return new UtilityProfile(bundle, manifestSha256, options, selection, result.seconds(), relative,
                spearman(result), null, layerList);
    }

    /** Names of the scores the profile holds, in profile order. */
    public List<String> scoreNames() {
        return new ArrayList<>(layers.get(0).experts().get(0).scores().keySet());
    }

    /** Scores of {@code score} as [layer][expert], read back from the profile. */
    public double[][] scores(String score) {
        double[][] out = new double[layers.size()][];
        for (Layer layer : layers) {
            out[layer.index()] = new double[layer.experts().size()];
            for (Expert e : layer.experts()) {
                Double v = e.scores().get(score);
                if (v == null) {
                    throw new IllegalArgumentException("the profile has no score '" + score + "'; it has "
                            + e.scores().keySet());
                }
                out[layer.index()][e.index()] = v;
            }
        }
        return out;
    }

    private static Map<String, List<Double>> spearman(ProfileResult result) {
        Map<String, List<Double>> out = new LinkedHashMap<>();
        double[][] ablation = result.scores().get(Score.ABLATION);
        if (ablation == null) {
            return out;
        }
        for (Map.Entry<Score, double[][]> s : result.scores().entrySet()) {
            List<Double> perLayer = new ArrayList<>();
            for (int l = 0; l < ablation.length; l++) {
                perLayer.add(Statistics.spearman(s.getValue()[l], ablation[l]));
            }
            out.put(s.getKey().id(), perLayer);
        }
        return out;
    }

    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        JSON.writeValue(file.toFile(), this);
    }

    public static UtilityProfile read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), UtilityProfile.class);
    }
}
