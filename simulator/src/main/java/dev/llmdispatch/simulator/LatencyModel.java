package dev.llmdispatch.simulator;

import java.util.random.RandomGenerator;

/**
 * How long a simulated call takes: a base time ({@code fixed}, {@code uniform} or {@code lognormal})
 * plus {@code perOutputTokenMs} for each completion token.
 *
 * @param type     fixed | uniform | lognormal
 * @param ms       the fixed time
 * @param minMs    uniform lower bound
 * @param maxMs    uniform upper bound
 * @param medianMs lognormal median
 * @param sigma    lognormal shape
 */
public record LatencyModel(
        String type, long ms, long minMs, long maxMs, long medianMs, double sigma, double perOutputTokenMs) {

    public static final LatencyModel NONE = fixed(0);

    public LatencyModel {
        type = type == null ? "fixed" : type;
        switch (type) {
            case "fixed", "uniform", "lognormal" -> {}
            default ->
                throw new IllegalArgumentException("latency.type must be fixed, uniform or lognormal, but was " + type);
        }
        if (ms < 0 || minMs < 0 || maxMs < minMs || medianMs < 0 || sigma < 0 || perOutputTokenMs < 0) {
            throw new IllegalArgumentException("latency values must be >= 0 (and maxMs >= minMs): " + this);
        }
    }

    public static LatencyModel fixed(long ms) {
        return new LatencyModel("fixed", ms, 0, 0, 0, 0, 0);
    }

    public static LatencyModel uniform(long minMs, long maxMs) {
        return new LatencyModel("uniform", 0, minMs, maxMs, 0, 0, 0);
    }

    public static LatencyModel logNormal(long medianMs, double sigma) {
        return new LatencyModel("lognormal", 0, 0, 0, medianMs, sigma, 0);
    }

    public LatencyModel plusPerOutputToken(double ms) {
        return new LatencyModel(type, this.ms, minMs, maxMs, medianMs, sigma, ms);
    }

    /** A sampled duration in milliseconds for a call producing {@code outputTokens}. */
    public long sampleMillis(RandomGenerator random, int outputTokens) {
        double base = switch (type) {
            case "uniform" -> minMs + (maxMs > minMs ? random.nextDouble() * (maxMs - minMs) : 0);
            case "lognormal" -> medianMs * Math.exp(sigma * random.nextGaussian());
            default -> ms;
        };
        return Math.round(base + perOutputTokenMs * outputTokens);
    }
}
