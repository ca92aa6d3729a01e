package dev.llmdispatch.dispatch.config;

import java.time.Duration;

/**
 * How fleet-wide capacity is kept in Redis.
 *
 * @param keyPrefix        prefix of every Redis key (one per deployment sharing a Redis)
 * @param windowGuard      added to every request and token window: the budget from a grant to the request's arrival
 *                         at the provider. Half of it is the oldest a grant may be when its request is written (an
 *                         older grant is given back unsent and taken afresh; a request that leaves later than that
 *                         has its place moved to when it left), the other half covers the network and the provider's
 *                         own front end. Windows are timed by the Redis server's clock; size the guard from
 *                         {@code llm_dispatch_grant_age_seconds}
 * @param leaseMargin      a concurrency permit's lease is the provider's call timeout plus this; a crashed
 *                         worker's permits come back when their lease ends
 * @param ratePoll         how long an account is left alone after a Redis error, and the longest a waiting job
 *                         goes without asking again when the server gave no time to wait for
 * @param restoreWait      after the limit state vanished from Redis (restart without persistence, failover), how
 *                         long live workers get to reconnect and put back their permits; an account grants nothing
 *                         for the lease margin plus this ({@link #restoreWindow()}), so that a worker paused up to
 *                         its lease margin puts its permits back too
 * @param quietOnNewState  whether an account whose state is missing at a worker's start waits one request window
 *                         before granting, as after a loss (true: safe when requests may have been sent in the last
 *                         window by a fleet whose state is gone; false: only for a fresh deployment or provider)
 * @param redisOutageWait  how long a job waits for capacity while every call to Redis fails before it ends
 *                         {@code FAILED} with {@code CAPACITY_UNAVAILABLE} (dead-lettered for replay)
 * @param priorityAging    how long a job waiting for capacity waits to rise one priority level (a LOW job is served
 *                         before HIGH jobs arriving two of these after it); 0: strict priority, a LOW job may wait
 *                         as long as HIGH jobs keep coming
 */
public record CapacitySettings(
        String keyPrefix,
        Duration windowGuard,
        Duration leaseMargin,
        Duration ratePoll,
        Duration restoreWait,
        Boolean quietOnNewState,
        Duration redisOutageWait,
        Duration priorityAging) {

    public static final String DEFAULT_KEY_PREFIX = "llm-dispatch";
    public static final Duration DEFAULT_WINDOW_GUARD = Duration.ofMillis(500);
    public static final Duration DEFAULT_LEASE_MARGIN = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RATE_POLL = Duration.ofMillis(25);
    /** Redisson's reconnection (at most 1 s), a sync tick (a quarter of this) and a retried call fit in it. */
    public static final Duration DEFAULT_RESTORE_WAIT = Duration.ofSeconds(2);

    public static final boolean DEFAULT_QUIET_ON_NEW_STATE = true;
    public static final Duration DEFAULT_REDIS_OUTAGE_WAIT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_PRIORITY_AGING = Duration.ofSeconds(30);
    public static final CapacitySettings DEFAULTS =
            new CapacitySettings(null, null, null, null, null, null, null, null);

    public CapacitySettings {
        keyPrefix = keyPrefix == null || keyPrefix.isBlank() ? DEFAULT_KEY_PREFIX : keyPrefix;
        windowGuard = windowGuard == null ? DEFAULT_WINDOW_GUARD : windowGuard;
        leaseMargin = leaseMargin == null ? DEFAULT_LEASE_MARGIN : leaseMargin;
        ratePoll = ratePoll == null ? DEFAULT_RATE_POLL : ratePoll;
        restoreWait = restoreWait == null ? DEFAULT_RESTORE_WAIT : restoreWait;
        quietOnNewState = quietOnNewState == null ? DEFAULT_QUIET_ON_NEW_STATE : quietOnNewState;
        redisOutageWait = redisOutageWait == null ? DEFAULT_REDIS_OUTAGE_WAIT : redisOutageWait;
        priorityAging = priorityAging == null ? DEFAULT_PRIORITY_AGING : priorityAging;
        if (priorityAging.isNegative()) {
            throw new IllegalArgumentException("dispatch.capacity.priority-aging must be >= 0 (0: strict priority), "
                    + "but was " + priorityAging);
        }
        if (windowGuard.isNegative()) {
            throw new IllegalArgumentException("dispatch.capacity.window-guard must be >= 0, but was " + windowGuard);
        }
        if (leaseMargin.isNegative() || leaseMargin.isZero()) {
            throw new IllegalArgumentException("dispatch.capacity.lease-margin must be > 0, but was " + leaseMargin);
        }
        if (leaseMargin.compareTo(windowGuard) <= 0) {
            // a request on an account with a concurrency limit is written only while its grant is younger than the
            // margin less the guard: with none left, none would ever be
            throw new IllegalArgumentException("dispatch.capacity.lease-margin (" + leaseMargin
                    + ") must be larger than dispatch.capacity.window-guard (" + windowGuard
                    + "): a request is sent only while its grant is younger than their difference");
        }
        if (ratePoll.toMillis() < 1) {
            throw new IllegalArgumentException("dispatch.capacity.rate-poll must be >= 1ms, but was " + ratePoll);
        }
        if (restoreWait.toMillis() < 1_000) {
            throw new IllegalArgumentException(
                    "dispatch.capacity.restore-wait must be >= 1s (live workers reconnect to "
                            + "Redis and put back their permits in that time), but was " + restoreWait);
        }
        if (redisOutageWait.isNegative() || redisOutageWait.isZero()) {
            throw new IllegalArgumentException(
                    "dispatch.capacity.redis-outage-wait must be > 0, but was " + redisOutageWait);
        }
    }

    /** The settings that tests and benchmarks vary, the rest at their defaults. */
    public static CapacitySettings of(String keyPrefix, Duration windowGuard, Duration leaseMargin, Duration ratePoll) {
        return new CapacitySettings(keyPrefix, windowGuard, leaseMargin, ratePoll, null, null, null, null);
    }

    /** These settings with {@link #keyPrefix} set. */
    public CapacitySettings withKeyPrefix(String prefix) {
        return new CapacitySettings(
                prefix,
                windowGuard,
                leaseMargin,
                ratePoll,
                restoreWait,
                quietOnNewState,
                redisOutageWait,
                priorityAging);
    }

    /** These settings with {@link #quietOnNewState} set. */
    public CapacitySettings withQuietOnNewState(boolean quiet) {
        return new CapacitySettings(
                keyPrefix, windowGuard, leaseMargin, ratePoll, restoreWait, quiet, redisOutageWait, priorityAging);
    }

    /** These settings with {@link #priorityAging} set. */
    public CapacitySettings withPriorityAging(Duration aging) {
        return new CapacitySettings(
                keyPrefix, windowGuard, leaseMargin, ratePoll, restoreWait, quietOnNewState, redisOutageWait, aging);
    }

    /**
     * How long an account grants nothing after its limit state vanished: the lease margin plus the restore wait. A worker
     * with calls open notices the loss at its next sync and puts their permits back; one paused (a GC, CPU throttling)
     * for up to its lease margin, which its permits' leases cover, notices it when the pause ends, still within this.
     */
    public Duration restoreWindow() {
        return leaseMargin.plus(restoreWait);
    }

    /** How often a worker holding permits checks that the limit state is still there (a quarter of the restore wait). */
    public Duration syncInterval() {
        return restoreWait.dividedBy(4);
    }
}
