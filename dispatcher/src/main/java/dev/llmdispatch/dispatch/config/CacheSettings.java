package dev.llmdispatch.dispatch.config;

import java.time.Duration;

/**
 * The response cache ({@code dispatch.cache.*}).
 *
 * @param enabled whether any job is answered from the cache (false: none, whatever a job asks)
 * @param ttl how long an answer is kept
 * @param maxEntryBytes answers larger than this are not kept
 * @param redisUrl a Redis of its own for the cache (recommended: {@code maxmemory} with {@code allkeys-lru}, which
 *     bounds its size); null: the limits' Redis, where every entry expires after {@code ttl} and none can push out a
 *     limit key (run that one with {@code noeviction})
 */
public record CacheSettings(Boolean enabled, Duration ttl, Integer maxEntryBytes, String redisUrl) {

    public static final Duration DEFAULT_TTL = Duration.ofHours(1);
    public static final int DEFAULT_MAX_ENTRY_BYTES = 1024 * 1024;
    public static final CacheSettings DEFAULTS = new CacheSettings(null, null, null, null);

    public CacheSettings {
        enabled = enabled == null || enabled;
        ttl = ttl == null ? DEFAULT_TTL : ttl;
        maxEntryBytes = maxEntryBytes == null ? DEFAULT_MAX_ENTRY_BYTES : maxEntryBytes;
        redisUrl = redisUrl == null || redisUrl.isBlank() ? null : redisUrl;
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("dispatch.cache.ttl must be > 0, but was " + ttl);
        }
        if (maxEntryBytes < 1024) {
            throw new IllegalArgumentException(
                    "dispatch.cache.max-entry-bytes must be >= 1024, but was " + maxEntryBytes);
        }
        if (redisUrl != null) {
            try {
                RedisUrl.parse(redisUrl);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        e.getMessage().replace("dispatch.redis.url", "dispatch.cache.redis-url"));
            }
        }
    }
}
