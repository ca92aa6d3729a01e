package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.redisson.api.RScript;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The capacity store on Redis: each decision is one Lua script ({@code acquire.lua}, {@code release.lua},
 * {@code restore.lua}, {@code usage.lua}, {@code declare.lua}, {@code waiting.lua} in the scripts folder, {@code /redis-scripts}) that reads the server's {@code TIME}, so no worker's
 * clock enters a window, and keeps the whole of an account's state in one hash slot.
 */
public final class RedisCapacityStore implements CapacityStore {

    private static final String ACQUIRE = RedisRoundTrips.script("acquire");
    private static final String RELEASE = RedisRoundTrips.script("release");
    private static final String RESTORE = RedisRoundTrips.script("restore");
    private static final String USAGE = RedisRoundTrips.script("usage");
    private static final String DECLARE = RedisRoundTrips.script("declare");
    private static final String WAITING = RedisRoundTrips.script("waiting");
    private static final String CHARGE = RedisRoundTrips.script("charge");
    private static final String ADAPT = RedisRoundTrips.script("adapt");

    private final RedissonClient redis;
    private final RScript scripts;
    private final String keyPrefix;

    public RedisCapacityStore(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.scripts = redis.getScript(StringCodec.INSTANCE);
        this.keyPrefix = keyPrefix;
    }

    @Override
    public Decision acquire(AccountKeys a, AccountKeys.Declaration limits, Ask ask) {
        AcquireArgs args = new AcquireArgs(a, limits, ask);
        List<Object> r = scripts.eval(
                a.state(), RScript.Mode.READ_WRITE, ACQUIRE, RScript.ReturnType.LIST, args.keys(), args.argv());
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
    public void release(AccountKeys a, String permitId, String unsentRequestId, String unsentTokenEntry, Sent sent) {
        scripts.eval(
                a.state(),
                RScript.Mode.READ_WRITE,
                RELEASE,
                RScript.ReturnType.LONG,
                List.of(a.inFlight(), a.requests(), a.tokens()),
                nonNull(permitId),
                nonNull(unsentRequestId),
                nonNull(unsentTokenEntry),
                a.releasedChannel(),
                a.accountId(),
                sent == null ? "" : sent.requestId(),
                sent == null ? "0" : Long.toString(sent.millisAgo()));
    }

    @Override
    public long adapt(
            AccountKeys a, boolean cut, int healthyCalls, int ceiling, long grantedAtMillis, int factorPermille) {
        return scripts.eval(
                a.state(),
                RScript.Mode.READ_WRITE,
                ADAPT,
                RScript.ReturnType.LONG,
                List.of(a.adaptive(), a.inFlight()),
                cut ? "cut" : "healthy",
                Integer.toString(ceiling),
                Long.toString(grantedAtMillis),
                Integer.toString(factorPermille),
                "600000",
                Integer.toString(healthyCalls));
    }

    @Override
    public void charge(AccountKeys a, String grantedEntry, String usedEntry) {
        scripts.eval(
                a.state(),
                RScript.Mode.READ_WRITE,
                CHARGE,
                RScript.ReturnType.LONG,
                List.of(a.tokens()),
                grantedEntry,
                usedEntry);
    }

    @Override
    public String restore(
            AccountKeys a,
            AccountKeys.Declaration limits,
            String knownEpoch,
            String newEpoch,
            Map<String, Long> permits,
            long restoreMillis) {
        List<Object> args = new ArrayList<>(List.of(
                knownEpoch,
                newEpoch,
                Long.toString(restoreMillis),
                Long.toString(Math.max(0, limits.requestWindowMillis()))));
        permits.forEach((id, left) -> {
            args.add(id);
            args.add(Long.toString(left));
        });
        List<Object> r = scripts.eval(
                a.state(),
                RScript.Mode.READ_WRITE,
                RESTORE,
                RScript.ReturnType.LIST,
                List.of(a.state(), a.inFlight()),
                args.toArray());
        return (String) r.get(0);
    }

    @Override
    public Usage usage(AccountKeys a, AccountKeys.Declaration limits) {
        List<Object> r = scripts.eval(
                a.state(),
                RScript.Mode.READ_ONLY,
                USAGE,
                RScript.ReturnType.LIST,
                List.of(a.state(), a.inFlight(), a.requests(), a.tokens()),
                Long.toString(limits.requestWindowMillis()),
                Long.toString(limits.tokenWindowMillis()));
        return new Usage((Long) r.get(0), (Long) r.get(1), (Long) r.get(2), (Long) r.get(3));
    }

    @Override
    public void declare(AccountKeys a, AccountKeys.Declaration limits) {
        scripts.eval(
                a.state(),
                RScript.Mode.READ_WRITE,
                DECLARE,
                RScript.ReturnType.LONG,
                List.of(a.limits()),
                limits.wire(),
                Long.toString(limits.ttlMillis()));
    }

    @Override
    public void publishWaiting(AccountKeys a, String workerId, Waiting waiting) {
        scripts.eval(
                a.state(),
                RScript.Mode.READ_WRITE,
                WAITING,
                RScript.ReturnType.LONG,
                List.of(a.waiting(), a.waitingUntil()),
                workerId,
                waiting == null ? "" : Long.toString(waiting.urgencyMillis()),
                waiting == null ? "0" : Long.toString(waiting.ttlMillis()));
    }

    @Override
    public AutoCloseable onRelease(Consumer<String> released) {
        RTopic topic = redis.getTopic(RedisKeys.of(keyPrefix).released(), StringCodec.INSTANCE);
        int id = topic.addListener(String.class, (channel, accountId) -> released.accept(accountId));
        return () -> topic.removeListener(id);
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }
}
