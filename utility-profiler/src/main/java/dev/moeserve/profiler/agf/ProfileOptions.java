package dev.moeserve.profiler.agf;

/**
 * Options of one profiling pass.
 *
 * @param batches calibration batches T
 * @param batchSize images per batch
 * @param labelFree use the model's own prediction as the target instead of the labels
 * @param seed seed for choosing calibration images and for the random score
 * @param pathPoints K, points of the path integral for {@code agf-path}; 0 skips {@code agf-path}
 * @param pathBatches how many of the calibration batches, from the first, {@code agf-path} uses
 * @param ablation whether to compute the exact {@code ablation} score (one forward per expert)
 * @param dense whether to compute {@code agf-dense} (every expert on every token)
 * @param eliminationStep experts {@code ablation-iterative} removes per round; 0 skips it
 */
public record ProfileOptions(int batches, int batchSize, boolean labelFree, long seed, int pathPoints, int pathBatches,
                             boolean ablation, boolean dense, int eliminationStep) {

    /** Calibration batches by default. */
    public static final int DEFAULT_BATCHES = 16;

    /** Images per calibration batch by default. */
    public static final int DEFAULT_BATCH_SIZE = 64;

    /**
     * Calibration batches {@code agf-path} uses by default: it costs about {@code L x K x E} forward and
     * backward passes of a batch from each layer on, so it runs on a quarter of the default calibration.
     */
    public static final int DEFAULT_PATH_BATCHES = 4;

    /** Path points K of {@code agf-path} by default. */
    public static final int DEFAULT_PATH_POINTS = 4;

    /**
     * Experts {@code ablation-iterative} removes per round by default: a round costs about one
     * {@code ablation} pass over the experts still in, so 8 of the reference model's 64 make the whole
     * elimination cost about 4.4 ablation passes.
     */
    public static final int DEFAULT_ELIMINATION_STEP = 8;

    public ProfileOptions {
        if (batches < 1) {
            throw new IllegalArgumentException("batches (--batches) must be at least 1, got " + batches);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size (--batch-size) must be at least 1, got "
                    + batchSize);
        }
        if (pathBatches < 1 || pathBatches > batches) {
            throw new IllegalArgumentException("path batches (--path-batches) must be between 1 and " + batches
                    + ", got " + pathBatches);
        }
        if (eliminationStep < 0) {
            throw new IllegalArgumentException("elimination step (--elimination-step) must be at least 0, got "
                    + eliminationStep);
        }
        if (pathPoints < 0) {
            throw new IllegalArgumentException("path points (--path-points) must be at least 0, got " + pathPoints);
        }
    }

    public static ProfileOptions defaults() {
        return new ProfileOptions(DEFAULT_BATCHES, DEFAULT_BATCH_SIZE, false, 0, DEFAULT_PATH_POINTS,
                DEFAULT_PATH_BATCHES, true, true, DEFAULT_ELIMINATION_STEP);
    }

    /** Returns the option that turns off computing {@code score} in these options, or null when it is computed. */
    public String skippingOption(Score score) {
        return switch (score) {
            case ABLATION_ITERATIVE -> eliminationStep == 0 ? "--elimination-step 0" : null;
            case ABLATION -> ablation ? null : "--no-ablation";
            case AGF_DENSE -> dense ? null : "--no-dense";
            case AGF_PATH -> pathPoints == 0 ? "--path-points 0" : null;
            default -> null;
        };
    }

    /** Calibration images needed: {@code batches * batchSize}. */
    public int images() {
        return batches * batchSize;
    }
}
