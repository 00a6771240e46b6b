package dev.moeserve.loadtest.jmh;

import dev.moeserve.router.inference.Policies;
import dev.moeserve.router.inference.RouteDecision;
import dev.moeserve.router.inference.RoutingPolicy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Gate post-processing cost of each routing policy: top-k selection and the softmax over the chosen
 * logits for one layer of a request of 8 images (400 tokens, 16 experts, top-2). Divide the time per
 * operation by {@code tokens} for the cost per token.
 *
 * <p>Run: {@code java -cp "loadtests/target/classes:loadtests/target/lib/*" org.openjdk.jmh.Main RoutingBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RoutingBenchmark {

    private static final int EXPERTS = 16;
    private static final int K = 2;

    @Param({"400", "3200"})
    public int tokens;

    @Param({"topk", "masked", "agf-prior"})
    public String policyName;

    private float[] logits;
    private RoutingPolicy policy;

    @Setup
    public void setUp() {
        Random random = new Random(1);
        logits = new float[tokens * EXPERTS];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        List<List<Integer>> pools = new ArrayList<>();
        List<double[]> priors = new ArrayList<>();
        List<Integer> pool = List.of(0, 2, 3, 5, 7, 8, 11, 13);
        double[] prior = new double[EXPERTS];
        for (int e : pool) {
            prior[e] = 1.0 / pool.size() + 0.01 * e;
        }
        pools.add(pool);
        priors.add(prior);
        policy = switch (policyName) {
            case "topk" -> Policies.topK();
            case "masked" -> Policies.masked("masked", pools, EXPERTS);
            default -> Policies.agfPrior("agf-prior", pools, priors, 0.5, EXPERTS);
        };
    }

    @Benchmark
    public RouteDecision route() {
        return policy.route(0, logits, tokens, EXPERTS, K);
    }
}
