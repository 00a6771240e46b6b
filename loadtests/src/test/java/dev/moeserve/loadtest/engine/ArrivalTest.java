package dev.moeserve.loadtest.engine;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ArrivalTest {

    @Test
    void constantSpacingIsOneOverRate() {
        assertThat(Arrival.CONSTANT.nextIntervalNanos(50, new Random(1))).isEqualTo(20_000_000L);
        assertThat(Arrival.CONSTANT.nextIntervalNanos(3, new Random(1))).isEqualTo(333_333_333L);
    }

    @Test
    void poissonSpacingHasMeanAndSpreadOfExponential() {
        Random random = new Random(7);
        int draws = 200_000;
        double sum = 0;
        double sumOfSquares = 0;
        for (int i = 0; i < draws; i++) {
            double interval = Arrival.POISSON.nextIntervalNanos(100, random);
            sum += interval;
            sumOfSquares += interval * interval;
        }
        double mean = sum / draws;
        double deviation = Math.sqrt(sumOfSquares / draws - mean * mean);

        // An exponential distribution's standard deviation equals its mean, here 10 ms.
        assertThat(mean).isBetween(9.9e6, 10.1e6);
        assertThat(deviation).isBetween(9.8e6, 10.2e6);
    }

    @Test
    void levelLabelsNameLoad() {
        assertThat(LoadLevel.closed(16).label()).isEqualTo("c=16");
        assertThat(LoadLevel.open(50, Arrival.POISSON).label()).isEqualTo("50/s poisson");
        assertThat(LoadLevel.open(2.5, Arrival.CONSTANT).label()).isEqualTo("2.5/s constant");
    }
}
