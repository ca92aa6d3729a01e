package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.TenantLedger;
import java.time.Duration;
import java.util.List;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/** {@link TenantLedger} in Redis ({@code budget.lua}), by Redis' clock: one script call per admission or charge. */
public final class RedisTenantLedger implements TenantLedger {

    private static final String SCRIPT = RedisRoundTrips.script("budget");

    private final RScript scripts;
    private final RedisKeys keys;

    public RedisTenantLedger(RedissonClient redis, String keyPrefix) {
        this.scripts = redis.getScript(StringCodec.INSTANCE);
        this.keys = RedisKeys.of(keyPrefix);
    }

    @Override
    public Admission admit(String tenant, Budget budget, String jobId) {
        return run("admit", tenant, budget, 0, keys.tenantCounted(tenant, jobId));
    }

    @Override
    public void charge(String tenant, Budget budget, long tokens) {
        run("charge", tenant, budget, Math.max(0, tokens), null);
    }

    @Override
    public Use use(String tenant, Budget budget) {
        return run("read", tenant, budget, 0, null).use();
    }

    /** @param counted the job's marker, for {@code admit} (same hash slot as the budget); null for none */
    private Admission run(String op, String tenant, Budget budget, long tokens, String counted) {
        String key = keys.tenantBudget(tenant);
        List<Object> r = scripts.eval(
                key,
                RScript.Mode.READ_WRITE,
                SCRIPT,
                RScript.ReturnType.LIST,
                counted == null ? List.of(key) : List.of(key, counted),
                op,
                Long.toString(budget.requestsPerMinute()),
                Long.toString(budget.requestsPerDay()),
                Long.toString(budget.tokensPerMinute()),
                Long.toString(budget.tokensPerDay()),
                Long.toString(tokens));
        Use use = new Use(number(r.get(3)), number(r.get(4)), number(r.get(5)), number(r.get(6)));
        long admitted = number(r.get(0));
        return new Admission(
                admitted >= 1, String.valueOf(r.get(2)), Duration.ofMillis(number(r.get(1))), use, admitted == 2);
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(o));
    }
}
