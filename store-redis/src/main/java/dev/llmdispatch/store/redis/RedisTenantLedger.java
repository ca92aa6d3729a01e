package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.TenantLedger;
import java.time.Duration;
import java.util.List;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;

/** {@link TenantLedger} in Redis ({@code budget.lua}), by Redis' clock: one script call per admission or settlement. */
public final class RedisTenantLedger implements TenantLedger {

    /**
     * {@code budget.lua}: KEYS the tenant's budget, and for {@code admit} and {@code settle} the job's marker (same hash
     * slot); ARGV the operation (admit, settle, read), requests per minute and per day, tokens per minute and per day,
     * tokens (the estimate to reserve, or what the job used).
     */
    record BudgetArgs(String op, String budgetKey, String counted, Budget budget, long tokens)
            implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return counted == null ? List.of(budgetKey) : List.of(budgetKey, counted);
        }

        @Override
        public Object[] argv() {
            return new Object[] {
                op,
                Long.toString(budget.requestsPerMinute()),
                Long.toString(budget.requestsPerDay()),
                Long.toString(budget.tokensPerMinute()),
                Long.toString(budget.tokensPerDay()),
                Long.toString(tokens)
            };
        }
    }

    private static final LuaScript<BudgetArgs> BUDGET = LuaScript.named("budget");

    private final RedissonClient redis;
    private final RedisKeys keys;

    public RedisTenantLedger(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
    }

    @Override
    public Admission admit(String tenant, Budget budget, String jobId, long tokens) {
        return run("admit", tenant, budget, Math.max(0, tokens), keys.tenantCounted(tenant, jobId));
    }

    @Override
    public void settle(String tenant, Budget budget, String jobId, long usedTokens) {
        run("settle", tenant, budget, Math.max(0, usedTokens), keys.tenantCounted(tenant, jobId));
    }

    @Override
    public Use use(String tenant, Budget budget) {
        return run("read", tenant, budget, 0, null).use();
    }

    /** @param counted the job's marker (same hash slot as the budget); null for none */
    private Admission run(String op, String tenant, Budget budget, long tokens, String counted) {
        List<Object> r = BUDGET.eval(
                redis,
                RScript.Mode.READ_WRITE,
                RScript.ReturnType.LIST,
                new BudgetArgs(op, keys.tenantBudget(tenant), counted, budget, tokens));
        Use use = new Use(number(r.get(3)), number(r.get(4)), number(r.get(5)), number(r.get(6)));
        long admitted = number(r.get(0));
        return new Admission(
                admitted >= 1, String.valueOf(r.get(2)), Duration.ofMillis(number(r.get(1))), use, admitted == 2);
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(o));
    }
}
