package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.ResponseCache;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.redisson.api.RBatch;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/** Cached answers as Redis strings under {@code <prefix>:cache:<sha-256>}, each with its own expiry. */
public final class RedisResponseCache implements ResponseCache {

    private final RedissonClient redis;
    private final RedisKeys keys;
    private final boolean owned;

    /** A cache in a Redis shared with others (the limits' one): closing it leaves the client open. */
    public RedisResponseCache(RedissonClient redis, String keyPrefix) {
        this(redis, keyPrefix, false);
    }

    private RedisResponseCache(RedissonClient redis, String keyPrefix, boolean owned) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
        this.owned = owned;
    }

    /** A cache in a Redis of its own: closing the cache shuts the client down. */
    public static RedisResponseCache ownRedis(RedissonClient redis, String keyPrefix) {
        return new RedisResponseCache(redis, keyPrefix, true);
    }

    @Override
    public Map<String, String> getAll(List<String> hashes) {
        if (hashes.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> found = redis.getBuckets(StringCodec.INSTANCE)
                .get(hashes.stream().map(keys::cached).toArray(String[]::new));
        Map<String, String> out = new HashMap<>();
        for (String hash : hashes) {
            Object value = found.get(keys.cached(hash));
            if (value != null) {
                out.put(hash, value.toString());
            }
        }
        return out;
    }

    @Override
    public void putAll(Map<String, String> entries, Duration ttl) {
        if (entries.isEmpty()) {
            return;
        }
        RBatch batch = redis.createBatch();
        entries.forEach((hash, value) ->
                batch.<String>getBucket(keys.cached(hash), StringCodec.INSTANCE).setAsync(value, ttl));
        batch.execute();
    }

    @Override
    public void close() {
        if (owned) {
            redis.shutdown();
        }
    }
}
