package dev.llmdispatch.dispatch.capacity;

import java.time.Duration;

/**
 * How fleet-wide capacity is kept in Redis.
 *
 * @param keyPrefix    prefix of every Redis key (one per deployment sharing a Redis)
 * @param windowGuard  added to every request window: a grant made at the end of one window still arrives
 *                     at the provider after its own window has moved on (grant-to-arrival jitter, clock skew)
 * @param leaseMargin  a concurrency permit's lease is the provider's call timeout plus this; a crashed
 *                     worker's permits come back when their lease ends
 * @param ratePoll     how often a job waiting only on request windows asks again (concurrency waits are
 *                     woken by release notifications instead)
 */
public record CapacitySettings(String keyPrefix, Duration windowGuard, Duration leaseMargin, Duration ratePoll) {

    public static final String DEFAULT_KEY_PREFIX = "llm-dispatch";
    public static final Duration DEFAULT_WINDOW_GUARD = Duration.ofMillis(500);
    public static final Duration DEFAULT_LEASE_MARGIN = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RATE_POLL = Duration.ofMillis(25);
    public static final CapacitySettings DEFAULTS = new CapacitySettings(null, null, null, null);

    public CapacitySettings {
        keyPrefix = keyPrefix == null || keyPrefix.isBlank() ? DEFAULT_KEY_PREFIX : keyPrefix;
        windowGuard = windowGuard == null ? DEFAULT_WINDOW_GUARD : windowGuard;
        leaseMargin = leaseMargin == null ? DEFAULT_LEASE_MARGIN : leaseMargin;
        ratePoll = ratePoll == null ? DEFAULT_RATE_POLL : ratePoll;
        if (windowGuard.isNegative()) {
            throw new IllegalArgumentException("dispatch.capacity.window-guard must be >= 0, but was " + windowGuard);
        }
        if (leaseMargin.isNegative() || leaseMargin.isZero()) {
            throw new IllegalArgumentException("dispatch.capacity.lease-margin must be > 0, but was " + leaseMargin);
        }
        if (ratePoll.toMillis() < 1) {
            throw new IllegalArgumentException("dispatch.capacity.rate-poll must be >= 1ms, but was " + ratePoll);
        }
    }
}
