package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.BlockStore;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import dev.llmdispatch.dispatch.spi.EmergencyFlag;
import dev.llmdispatch.dispatch.spi.JobLedger;
import dev.llmdispatch.dispatch.spi.ProbeTurns;
import dev.llmdispatch.dispatch.spi.Stores;
import dev.llmdispatch.dispatch.spi.StreamChannel;
import dev.llmdispatch.dispatch.spi.TenantLedger;
import java.time.Clock;
import org.redisson.api.RedissonClient;

/**
 * The dispatcher's stores on one Redis, under one key prefix: the only way the core reaches Redis. Every key is named
 * by {@code RedisKeys}, every script is a file of {@code /redis-scripts}, and round trips are counted by
 * {@link RedisRoundTrips} on the client {@link RedisConnections} made.
 */
public final class RedisStores implements Stores {

    private final RedissonClient redis;
    private final String keyPrefix;
    private final Clock clock;

    public RedisStores(RedissonClient redis, String keyPrefix) {
        this(redis, keyPrefix, Clock.systemUTC());
    }

    /** @param clock the worker's clock: the cooldowns' ends are read and written on it */
    public RedisStores(RedissonClient redis, String keyPrefix, Clock clock) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.clock = clock;
    }

    /** The fleet's limit state: permits, request windows, token quotas, waiting ranks, adaptive limits. */
    public CapacityStore capacity() {
        return new RedisCapacityStore(redis, keyPrefix);
    }

    /** The fleet's cooldowns, with a local copy kept fresh by pub/sub (close it with the worker). */
    public BlockStore blocks() {
        return new RedisBlockStore(redis, keyPrefix, clock);
    }

    /** The failed calls of jobs still running. */
    public AttemptLog attempts() {
        return new RedisAttemptLog(redis, keyPrefix);
    }

    /** The fleet-wide emergency flag. */
    public EmergencyFlag emergencyFlag() {
        return new RedisEmergencyFlag(redis, keyPrefix);
    }

    /** Whose turn it is to probe a blocked account. */
    public ProbeTurns probeTurns() {
        return new RedisProbeTurns(redis, keyPrefix);
    }

    /** The tenants' budgets. */
    public TenantLedger tenants() {
        return new RedisTenantLedger(redis, keyPrefix);
    }

    /** The chunks of streamed answers, from the worker that calls the provider to the one that holds the request. */
    @Override
    public StreamChannel streams() {
        return new RedisStreamChannel(redis, keyPrefix);
    }

    /** Who handles each job now (claims), and the outcomes jobs ended with. */
    @Override
    public JobLedger jobs() {
        return new RedisJobLedger(redis, keyPrefix);
    }
}
