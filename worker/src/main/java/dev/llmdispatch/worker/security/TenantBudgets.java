package dev.llmdispatch.worker.security;

import dev.llmdispatch.dispatch.RedisKeys;
import dev.llmdispatch.dispatch.redis.RedisRoundTrips;
import java.time.Duration;
import java.util.List;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * Tenants' budgets, fleet-wide, in Redis (budget.lua): requests and tokens a minute and a day (UTC), by Redis'
 * clock, so every worker counts against the same figures. A request is admitted, and counted, while none of its
 * tenant's budgets is spent; the tokens it used are charged when its answer comes (as providers' own token limits
 * work: the request that crosses the line is served, the next one waits).
 */
public final class TenantBudgets {

    /** A tenant's use: requests and tokens this minute and today. */
    public record Use(long requestsThisMinute, long requestsToday, long tokensThisMinute, long tokensToday) {}

    /**
     * Whether a request was admitted.
     *
     * @param spent the budget that is spent (e.g. {@code requests-per-minute}), when refused
     * @param retryAfter when that budget renews
     * @param countedBefore admitted because the job was counted before (not counted now)
     */
    public record Admission(boolean admitted, String spent, Duration retryAfter, Use use, boolean countedBefore) {}

    private static final String SCRIPT = RedisRoundTrips.script("budget");

    private final RScript scripts;
    private final RedisKeys keys;

    public TenantBudgets(RedissonClient redis, String keyPrefix) {
        this.scripts = redis.getScript(StringCodec.INSTANCE);
        this.keys = RedisKeys.of(keyPrefix);
    }

    /**
     * Counts one request of the tenant for this job, unless one of its budgets is spent. A job counted once (until the
     * day ends) is admitted again without counting: the ingress that admitted it and the worker that starts it, or a
     * worker that starts it again after a rebalance, count it once.
     */
    public Admission admit(Tenant tenant, String jobId) {
        if (!tenant.hasBudgets()) {
            return new Admission(true, "", Duration.ZERO, new Use(0, 0, 0, 0), false);
        }
        return run("admit", tenant, 0, keys.tenantCounted(tenant.name(), jobId));
    }

    /** Adds the tokens a request of the tenant used. */
    public void charge(Tenant tenant, long tokens) {
        if (tenant.tokensPerMinute() >= 0 || tenant.tokensPerDay() >= 0) {
            run("charge", tenant, Math.max(0, tokens), null);
        }
    }

    /** The tenant's use now. */
    public Use use(Tenant tenant) {
        return run("read", tenant, 0, null).use();
    }

    /** @param counted the job's marker, for {@code admit} (same hash slot as the budget); null for none */
    private Admission run(String op, Tenant tenant, long tokens, String counted) {
        String budget = keys.tenantBudget(tenant.name());
        List<Object> r = scripts.eval(
                budget,
                RScript.Mode.READ_WRITE,
                SCRIPT,
                RScript.ReturnType.LIST,
                counted == null ? List.of(budget) : List.of(budget, counted),
                op,
                Long.toString(tenant.requestsPerMinute()),
                Long.toString(tenant.requestsPerDay()),
                Long.toString(tenant.tokensPerMinute()),
                Long.toString(tenant.tokensPerDay()),
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
