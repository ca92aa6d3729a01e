package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.JobResult;
import java.time.Duration;

/**
 * Tenants' budgets for the jobs a worker consumes: each job is counted against its tenant's request budgets when it is
 * about to start, once per job id (a job the HTTP ingress admitted was counted there, a job run again after a rebalance
 * or a restart was counted the first time), and every answered job's tokens are charged to its tenant.
 */
public interface TenantBudgetCheck {

    /** Whether a tenant's job may start. */
    sealed interface Verdict permits Start, Hold, Spent {}

    /** It may start; it was counted. */
    record Start() implements Verdict {}

    /** A budget that renews within {@code renewsIn} is spent: the tenant's jobs wait until then. */
    record Hold(Duration renewsIn, String budget) implements Verdict {}

    /** A budget that renews only later (a day's) is spent: the job ends with {@code BUDGET_SPENT}. */
    record Spent(String message) implements Verdict {}

    Verdict START = new Start();

    /** No budgets: every job starts, nothing is charged. */
    TenantBudgetCheck NONE = new TenantBudgetCheck() {
        @Override
        public Verdict start(String tenant, String jobId) {
            return START;
        }

        @Override
        public void charge(String tenant, JobResult result) {}
    };

    /**
     * Counts one request of the tenant ({@code null}: none) for this job, unless the job was counted already (then it
     * starts) or one of the tenant's budgets is spent.
     *
     * @throws RuntimeException when the budgets cannot be read (Redis away): the job is tried again shortly
     */
    Verdict start(String tenant, String jobId);

    /** Charges the tokens an answered job used to its tenant (a cached or stored answer costs nothing). */
    void charge(String tenant, JobResult result);
}
