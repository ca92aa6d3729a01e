package dev.llmdispatch.dispatch.resilience;

import dev.llmdispatch.dispatch.RedisKeys;
import dev.llmdispatch.dispatch.resilience.Cooldowns.Block;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.redisson.api.RLocalCachedMap;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.LocalCachedMapOptions;
import org.redisson.api.options.LocalCachedMapOptions.ReconnectionStrategy;
import org.redisson.api.options.LocalCachedMapOptions.SyncStrategy;
import org.redisson.client.codec.StringCodec;

/**
 * The fleet's cooldowns in one Redis hash, cached in every worker by Redisson's {@link RLocalCachedMap}: a change
 * made by any worker is pushed to the others' copies at once ({@link SyncStrategy#UPDATE}), and a worker that lost
 * its connection reloads what changed meanwhile ({@link ReconnectionStrategy#LOAD}). Reads never leave the JVM. A
 * block is stored as {@code untilEpochMillis|REASON}.
 */
public final class RedisBlockStore implements BlockStore {

    private final RedissonClient redis;
    private final RedisKeys keys;
    private final RLocalCachedMap<String, String> blocks;

    public RedisBlockStore(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
        this.blocks = redis.getLocalCachedMap(LocalCachedMapOptions.<String, String>name(keys.cooldowns())
                .codec(StringCodec.INSTANCE)
                .syncStrategy(SyncStrategy.UPDATE)
                .reconnectionStrategy(ReconnectionStrategy.LOAD));
        blocks.preloadCache();
    }

    @Override
    public Map<String, Block> blocks() {
        Map<String, Block> out = new HashMap<>();
        blocks.getCachedMap().forEach((account, value) -> out.put(account, parse(value)));
        return out;
    }

    @Override
    public Block get(String account) {
        String value = blocks.getCachedMap().get(account);
        return value == null ? null : parse(value);
    }

    @Override
    public void put(String account, Block block) {
        blocks.fastPut(account, block.untilMillis() + "|" + block.reason().name());
    }

    @Override
    public void remove(String account) {
        blocks.fastRemove(account);
    }

    @Override
    public boolean markOutage(String account, Duration lasting) {
        var known = redis.getBucket(keys.outage(account), StringCodec.INSTANCE);
        if (known.setIfAbsent("down", lasting)) {
            return true;
        }
        known.expire(lasting);
        return false;
    }

    @Override
    public void endOutage(String account) {
        redis.getBucket(keys.outage(account), StringCodec.INSTANCE).delete();
    }

    @Override
    public void close() {
        blocks.destroy(); // this worker's cache and its listeners; the hash stays
    }

    private static Block parse(String value) {
        int bar = value.indexOf('|');
        return new Block(Long.parseLong(value.substring(0, bar)), Cooldowns.Reason.valueOf(value.substring(bar + 1)));
    }
}
