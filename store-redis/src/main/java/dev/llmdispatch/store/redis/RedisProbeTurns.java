package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.ProbeTurns;
import java.time.Duration;
import org.redisson.api.RAtomicLong;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/** Probe turns as keys that expire ({@code <prefix>:probe-turn:<account>}), failures as counters beside them. */
final class RedisProbeTurns implements ProbeTurns {

    private final RedissonClient redis;
    private final RedisKeys keys;

    RedisProbeTurns(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
    }

    @Override
    public boolean take(String account, Duration hold) {
        return redis.getBucket(keys.probeTurn(account), StringCodec.INSTANCE).setIfAbsent("probing", hold);
    }

    @Override
    public void hold(String account, Duration hold) {
        redis.getBucket(keys.probeTurn(account), StringCodec.INSTANCE).expire(hold);
    }

    @Override
    public long failed(String account, Duration kept) {
        RAtomicLong failures = redis.getAtomicLong(keys.probeFailures(account));
        long n = failures.incrementAndGet();
        failures.expire(kept);
        return n;
    }

    @Override
    public void succeeded(String account) {
        redis.getAtomicLong(keys.probeFailures(account)).delete();
    }
}
