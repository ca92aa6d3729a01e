package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.AccountBlock;
import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.dispatch.spi.BlockStore;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.redisson.api.RMap;
import org.redisson.api.RScript;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet's cooldowns in one Redis hash ({@code untilEpochMillis|REASON} per account), copied in every worker: a
 * change is published with its value (pub/sub), so the other workers' copies take it without a Redis read, and the
 * copy is read again whole every second by a thread of its own (a look on a job's path never waits for Redis), which
 * bounds what a lost message (a reconnect, a Redis restarted empty) can leave stale to about a second.
 *
 * <p>Redisson's {@code RLocalCachedMap} looks made for this and was tried: on a reconnect it only invalidates or
 * clears its copy and never reloads it, a change published while a worker was disconnected never reaches that
 * worker, and its copy is updated before the Redis write, so a failed write diverges silently (read in Redisson
 * 4.3.1's {@code LocalCacheListener} and {@code RedissonLocalCachedMap}). For marks read on every job's path, stale
 * for at most a second is the promise kept here.
 *
 * <p>A block's end is a time on Redis's clock, not on the clock of the worker that set it: a worker whose clock is
 * seconds ahead would otherwise read another's Retry-After as over already, and lower an emergency flag the others
 * raised. Each copy learns how far its worker's clock is from Redis's with every read of the hash (one script reads
 * both, {@code cooldowns.lua}), and keeps the ends on its worker's clock: what the core compares with its own clock.
 */
public final class RedisBlockStore implements BlockStore {

    private static final Logger log = LoggerFactory.getLogger(RedisBlockStore.class);
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final LuaScript<HashArgs> READ = LuaScript.named("cooldowns");

    private final RedissonClient redis;
    private final RedisKeys keys;
    private final RMap<String, String> blocks;
    private final RTopic changes;
    private final int listenerId;
    private final Clock clock;
    /** Redis's clock less this worker's, in ms, as of the last read of the hash. */
    private volatile long redisAhead;
    /** The blocks, their ends on this worker's clock. */
    private final Map<String, AccountBlock> local = new ConcurrentHashMap<>();

    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("cooldowns-refresh").daemon().factory());

    /** @param clock the worker's clock, which the ends of the blocks it reads and writes are on */
    public RedisBlockStore(RedissonClient redis, String keyPrefix, Clock clock) {
        this.redis = redis;
        this.clock = clock;
        this.keys = RedisKeys.of(keyPrefix);
        this.blocks = redis.getMap(keys.cooldowns(), StringCodec.INSTANCE);
        this.changes = redis.getTopic(keys.cooldownsChanged(), StringCodec.INSTANCE);
        // the message carries the change itself: no Redis call on Redisson's event-loop thread
        this.listenerId = changes.addListener(String.class, (channel, message) -> apply(message));
        refresh();
        // read whole again every second, off the jobs' path: a look never waits for Redis
        refresher.scheduleWithFixedDelay(this::refreshQuietly, REFRESH_NANOS, REFRESH_NANOS, TimeUnit.NANOSECONDS);
    }

    @Override
    public Map<String, AccountBlock> blocks() {
        return Map.copyOf(local);
    }

    @Override
    public AccountBlock get(String account) {
        return local.get(account);
    }

    @Override
    public void put(String account, AccountBlock block) {
        String value = (block.untilMillis() + redisAhead) + "|" + block.reason().name();
        blocks.fastPut(account, value); // Redis first: a failed write leaves no local-only block
        local.put(account, block);
        changes.publish(account + "=" + value);
    }

    @Override
    public void remove(String account) {
        blocks.fastRemove(account);
        local.remove(account);
        changes.publish(account + "=");
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
        refresher.shutdownNow();
        changes.removeListener(listenerId);
    }

    /** A change another worker announced: {@code account=until|REASON}, or {@code account=} when lifted. */
    private void apply(String message) {
        int eq = message.indexOf('=');
        if (eq <= 0) {
            refresher.execute(this::refreshQuietly); // unknown shape: read the hash again
            return;
        }
        String account = message.substring(0, eq);
        String value = message.substring(eq + 1);
        if (value.isEmpty()) {
            local.remove(account);
        } else {
            local.put(account, onThisClock(value));
        }
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            // Redis away: the copy stays as it is, and is read again in a second
            log.debug("cooldowns: could not read them again from Redis: {}", e.toString());
        }
    }

    private synchronized void refresh() {
        long before = clock.millis();
        List<Object> read =
                READ.eval(redis, RScript.Mode.READ_ONLY, RScript.ReturnType.LIST, new HashArgs(keys.cooldowns()));
        long after = clock.millis();
        // the server read its clock between the two reads of ours: within half the round trip of their middle
        redisAhead = Long.parseLong((String) read.getFirst()) - (before + after) / 2;
        Map<String, String> all = new HashMap<>();
        for (int i = 1; i + 1 < read.size(); i += 2) {
            all.put((String) read.get(i), (String) read.get(i + 1));
        }
        local.keySet().retainAll(all.keySet());
        all.forEach((account, value) -> local.put(account, onThisClock(value)));
    }

    /** A stored {@code untilMillis|REASON}, its end on Redis's clock, as a block ending on this worker's clock. */
    private AccountBlock onThisClock(String value) {
        int bar = value.indexOf('|');
        return new AccountBlock(
                Long.parseLong(value.substring(0, bar)) - redisAhead, BlockReason.valueOf(value.substring(bar + 1)));
    }

    /** {@code cooldowns.lua}: KEYS the cooldowns hash. */
    private record HashArgs(String hash) implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(hash);
        }

        @Override
        public Object[] argv() {
            return new Object[0];
        }
    }
}
