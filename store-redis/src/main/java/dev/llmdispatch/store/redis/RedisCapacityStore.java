package dev.llmdispatch.store.redis;

import static dev.llmdispatch.store.redis.CapacityScripts.ACQUIRE;
import static dev.llmdispatch.store.redis.CapacityScripts.ADAPT;
import static dev.llmdispatch.store.redis.CapacityScripts.CHARGE;
import static dev.llmdispatch.store.redis.CapacityScripts.DECLARE;
import static dev.llmdispatch.store.redis.CapacityScripts.RELEASE;
import static dev.llmdispatch.store.redis.CapacityScripts.RESTORE;
import static dev.llmdispatch.store.redis.CapacityScripts.USAGE;
import static dev.llmdispatch.store.redis.CapacityScripts.WAITING;

import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import dev.llmdispatch.store.redis.CapacityScripts.AdaptArgs;
import dev.llmdispatch.store.redis.CapacityScripts.ChargeArgs;
import dev.llmdispatch.store.redis.CapacityScripts.DeclareArgs;
import dev.llmdispatch.store.redis.CapacityScripts.ReleaseArgs;
import dev.llmdispatch.store.redis.CapacityScripts.RestoreArgs;
import dev.llmdispatch.store.redis.CapacityScripts.UsageArgs;
import dev.llmdispatch.store.redis.CapacityScripts.WaitingArgs;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.redisson.api.RScript;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The capacity store on Redis: each decision is one Lua script of the scripts folder ({@link CapacityScripts}, each
 * called with its arguments record) that reads the server's {@code TIME}, so no worker's clock enters a window, and
 * keeps the whole of an account's state in one hash slot.
 */
public final class RedisCapacityStore implements CapacityStore {

    private final RedissonClient redis;
    private final String keyPrefix;

    public RedisCapacityStore(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
    }

    @Override
    public Decision acquire(AccountKeys a, AccountKeys.Declaration limits, Ask ask) {
        List<Object> r =
                ACQUIRE.eval(redis, RScript.Mode.READ_WRITE, RScript.ReturnType.LIST, new AcquireArgs(a, limits, ask));
        boolean granted = r.size() > 6;
        return new Decision(
                Reason.valueOf((String) r.get(1)),
                (Long) r.get(2),
                (String) r.get(3),
                (Long) r.get(4),
                granted && (Long) r.get(5) == 1,
                granted ? (Long) r.get(6) : 0,
                r.size() > 7 ? (Long) r.get(7) : -1);
    }

    @Override
    public void release(
            AccountKeys a,
            AccountKeys.Declaration limits,
            String permitId,
            String unsentRequestId,
            String unsentTokenEntry,
            Sent sent) {
        RELEASE.eval(
                redis,
                RScript.Mode.READ_WRITE,
                RScript.ReturnType.LONG,
                new ReleaseArgs(a, limits, permitId, unsentRequestId, unsentTokenEntry, sent));
    }

    @Override
    public long adapt(
            AccountKeys a, boolean cut, int healthyCalls, int ceiling, long grantedAtMillis, int factorPermille) {
        return ADAPT.eval(
                redis,
                RScript.Mode.READ_WRITE,
                RScript.ReturnType.LONG,
                new AdaptArgs(a, cut, healthyCalls, ceiling, grantedAtMillis, factorPermille));
    }

    @Override
    public void charge(AccountKeys a, String grantedEntry, String usedEntry) {
        CHARGE.eval(
                redis, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG, new ChargeArgs(a, grantedEntry, usedEntry));
    }

    @Override
    public String restore(
            AccountKeys a,
            AccountKeys.Declaration limits,
            String knownEpoch,
            String newEpoch,
            Map<String, Long> permits,
            long restoreMillis) {
        List<Object> r = RESTORE.eval(
                redis,
                RScript.Mode.READ_WRITE,
                RScript.ReturnType.LIST,
                new RestoreArgs(a, limits, knownEpoch, newEpoch, permits, restoreMillis));
        return (String) r.get(0);
    }

    @Override
    public Usage usage(AccountKeys a, AccountKeys.Declaration limits) {
        List<Object> r = USAGE.eval(redis, RScript.Mode.READ_ONLY, RScript.ReturnType.LIST, new UsageArgs(a, limits));
        return new Usage((Long) r.get(0), (Long) r.get(1), (Long) r.get(2), (Long) r.get(3));
    }

    @Override
    public void declare(AccountKeys a, AccountKeys.Declaration limits) {
        DECLARE.eval(redis, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG, new DeclareArgs(a, limits));
    }

    @Override
    public void publishWaiting(AccountKeys a, String workerId, Waiting waiting) {
        WAITING.eval(redis, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG, new WaitingArgs(a, workerId, waiting));
    }

    @Override
    public AutoCloseable onRelease(Consumer<String> released) {
        RTopic topic = redis.getTopic(RedisKeys.of(keyPrefix).released(), StringCodec.INSTANCE);
        int id = topic.addListener(String.class, (channel, accountId) -> released.accept(accountId));
        return () -> topic.removeListener(id);
    }
}
