package dev.llmdispatch.worker.security;

import dev.llmdispatch.dispatch.spi.TenantLedger;
import dev.llmdispatch.dispatch.spi.TenantLedger.Admission;
import dev.llmdispatch.dispatch.spi.TenantLedger.Budget;
import dev.llmdispatch.dispatch.spi.TenantLedger.Use;
import java.time.Duration;

/**
 * Tenants' budgets, fleet-wide: a configured {@link Tenant}'s budgets counted in the deployment's {@link TenantLedger}
 * (Redis for a fleet). A tenant without budgets is admitted without asking the ledger.
 */
public final class TenantBudgets {

    private final TenantLedger ledger;

    public TenantBudgets(TenantLedger ledger) {
        this.ledger = ledger;
    }

    /**
     * Counts one request of the tenant for this job and reserves its estimated tokens, unless one of its budgets is
     * spent (see {@link TenantLedger}).
     */
    public Admission admit(Tenant tenant, String jobId, long tokens) {
        if (!tenant.hasBudgets()) {
            return new Admission(true, "", Duration.ZERO, Use.NONE, false);
        }
        return ledger.admit(tenant.name(), budget(tenant), jobId, tokens);
    }

    /** A job of the tenant ended: the tokens it used replace its reservation. */
    public void settle(Tenant tenant, String jobId, long usedTokens) {
        Budget budget = budget(tenant);
        if (budget.tokens()) {
            ledger.settle(tenant.name(), budget, jobId, Math.max(0, usedTokens));
        }
    }

    /** The tenant's use now. */
    public Use use(Tenant tenant) {
        return ledger.use(tenant.name(), budget(tenant));
    }

    private static Budget budget(Tenant t) {
        return new Budget(t.requestsPerMinute(), t.requestsPerDay(), t.tokensPerMinute(), t.tokensPerDay());
    }
}
