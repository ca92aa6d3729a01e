package dev.llmdispatch.dispatch.resilience;

import dev.llmdispatch.dispatch.RedisKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.redisson.api.RMap;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * Fleet-wide "account blocked until T" marks in Redis (one hash per deployment), set by a 429's Retry-After,
 * a spent quota, a refused key or an open circuit, so that every worker skips a failing account at once.
 * Reads come from a local copy, refreshed when any worker announces a change (pub/sub) and at least every
 * second, so the hot path never waits on Redis for them.
 */
public final class Cooldowns implements AutoCloseable {

    /** Why an account is blocked; all but RATE_LIMITED end early only when a health probe succeeds. */
    public enum Reason {
        RATE_LIMITED,
        QUOTA_EXHAUSTED,
        UNAUTHORIZED,
        CIRCUIT_OPEN;

        /** Whether a job should wait for the block to end (a short rest) rather than look elsewhere. */
        public boolean brief() {
            return this == RATE_LIMITED;
        }
    }

    /** A block: until when (epoch ms) and why. */
    public record Block(long untilMillis, Reason reason) {
        static Block parse(String value) {
            int bar = value.indexOf('|');
            return new Block(Long.parseLong(value.substring(0, bar)), Reason.valueOf(value.substring(bar + 1)));
        }

        String format() {
            return untilMillis + "|" + reason.name();
        }
    }

    private static final long REFRESH_MILLIS = 1000;

    private final RMap<String, String> blocks;
    private final RTopic changes;
    private final int listenerId;
    private final Clock clock;
    private final Map<String, Block> local = new ConcurrentHashMap<>();
    private final RedissonClient redis;
    private final String keyPrefix;
    private volatile long refreshedAt;

    public Cooldowns(RedissonClient redis, String keyPrefix, Clock clock) {
        this.clock = clock;
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.blocks = redis.getMap(RedisKeys.of(keyPrefix).cooldowns(), StringCodec.INSTANCE);
        this.changes = redis.getTopic(RedisKeys.of(keyPrefix).cooldownsChanged(), StringCodec.INSTANCE);
        // the message carries the change itself: no Redis call on Redisson's event-loop thread
        this.listenerId = changes.addListener(String.class, (channel, message) -> apply(message));
        refresh();
    }

    /** Blocks an account for {@code duration} (a longer block already there stays). */
    public void block(String account, Duration duration, Reason reason) {
        long until = clock.millis() + duration.toMillis();
        Block current = blocked(account).orElse(null);
        if (current != null && current.untilMillis() >= until && current.reason() == reason) {
            return;
        }
        Block block = new Block(Math.max(until, current == null ? 0 : current.untilMillis()), reason);
        blocks.fastPut(account, block.format());
        local.put(account, block);
        changes.publish(account + "=" + block.format());
    }

    /**
     * Marks an outage of the account as known to the fleet, for {@code lasting} (renewed by each call).
     *
     * @return true for the call that started it (the one worker that announces it), false while it is known
     */
    public boolean outage(String account, Duration lasting) {
        var known = redis.getBucket(RedisKeys.of(keyPrefix).outage(account), StringCodec.INSTANCE);
        if (known.setIfAbsent("down", lasting)) {
            return true;
        }
        known.expire(lasting);
        return false;
    }

    /** Lifts an account's block (a health probe found it well), and ends its outage. */
    public void unblock(String account) {
        redis.getBucket(RedisKeys.of(keyPrefix).outage(account), StringCodec.INSTANCE)
                .delete();
        blocks.fastRemove(account);
        local.remove(account);
        changes.publish(account + "=");
    }

    /** A change another worker announced: {@code account=until|REASON}, or {@code account=} when lifted. */
    private void apply(String message) {
        int eq = message.indexOf('=');
        if (eq <= 0) {
            refreshedAt = 0; // unknown shape: read the hash again on the next look
            return;
        }
        String account = message.substring(0, eq);
        String value = message.substring(eq + 1);
        if (value.isEmpty()) {
            local.remove(account);
        } else {
            local.put(account, Block.parse(value));
        }
    }

    /** The account's block in force now, if any. */
    public Optional<Block> blocked(String account) {
        refreshIfStale();
        Block block = local.get(account);
        return block != null && block.untilMillis() > clock.millis() ? Optional.of(block) : Optional.empty();
    }

    public boolean isBlocked(String account) {
        return blocked(account).isPresent();
    }

    /** Every block in force now. */
    public Map<String, Block> all() {
        refreshIfStale();
        Map<String, Block> out = new HashMap<>();
        long now = clock.millis();
        local.forEach((account, block) -> {
            if (block.untilMillis() > now) {
                out.put(account, block);
            }
        });
        return out;
    }

    private void refreshIfStale() {
        if (clock.millis() - refreshedAt > REFRESH_MILLIS) {
            refresh();
        }
    }

    private synchronized void refresh() {
        Map<String, String> all = blocks.readAllMap();
        local.keySet().retainAll(all.keySet());
        all.forEach((account, value) -> local.put(account, Block.parse(value)));
        refreshedAt = clock.millis();
    }

    @Override
    public void close() {
        changes.removeListener(listenerId);
    }
}
