package dev.moeserve.loadtest.report;

/**
 * Two-sided z-test for the difference of two proportions with a pooled standard error, as used to
 * compare the accuracy of two A/B arms. Valid when each arm has at least about 10 successes and 10
 * failures and the samples are independent, for example distinct images each served once.
 *
 * @param difference p1 - p2
 * @param z          the test statistic, NaN when a sample is empty or the pooled proportion is 0 or 1
 * @param pValue     two-sided p-value, NaN when z is NaN
 */
public record TwoProportionTest(double difference, double z, double pValue) {

    /** Compares {@code successes1 / trials1} with {@code successes2 / trials2}. */
    public static TwoProportionTest of(long successes1, long trials1, long successes2, long trials2) {
        if (trials1 <= 0 || trials2 <= 0) {
            return new TwoProportionTest(Double.NaN, Double.NaN, Double.NaN);
        }
        double p1 = (double) successes1 / trials1;
        double p2 = (double) successes2 / trials2;
        double pooled = (double) (successes1 + successes2) / (trials1 + trials2);
        double standardError = Math.sqrt(pooled * (1 - pooled) * (1.0 / trials1 + 1.0 / trials2));
        if (standardError == 0) {
            return new TwoProportionTest(p1 - p2, Double.NaN, Double.NaN);
        }
        double z = (p1 - p2) / standardError;
        return new TwoProportionTest(p1 - p2, z, 2 * (1 - normalCdf(Math.abs(z))));
    }

    /**
     * Standard normal CDF through the error function, approximated with formula 7.1.26 of Abramowitz and
     * Stegun (absolute error below 1.5e-7).
     */
    static double normalCdf(double x) {
        double t = x / Math.sqrt(2);
        double sign = Math.signum(t);
        double a = Math.abs(t);
        double k = 1 / (1 + 0.3275911 * a);
        double poly = ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k;
        double erf = sign * (1 - poly * Math.exp(-a * a));
        return 0.5 * (1 + erf);
    }
}
