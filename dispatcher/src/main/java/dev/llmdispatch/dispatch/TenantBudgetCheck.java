package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.internal.routing.PromptSize;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Tenants' budgets for the jobs a worker consumes: each job is counted against its tenant's request budgets, with its
 * estimated tokens reserved against the token budgets, when it is about to start, once per job id (a job the HTTP
 * ingress admitted was counted there, a job run again after a rebalance or a restart was counted the first time); when
 * it ends, the tokens it used replace its reservation.
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
        public Verdict start(String tenant, String jobId, LongSupplier tokens) {
            return START;
        }

        @Override
        public void settle(String tenant, JobResult result) {}
    };

    /** The tokens a job reserves in its tenant's token budgets: its prompt and the answer it allows, estimated. */
    static long tokensToReserve(Job job) {
        return job.request() == null ? 0 : PromptSize.totalTokens(job);
    }

    /**
     * Counts one request of the tenant ({@code null}: none) for this job and reserves its tokens, unless the job was
     * counted already (then it starts) or one of the tenant's budgets is spent.
     *
     * @param tokens what to reserve in the token budgets ({@link #tokensToReserve}), asked only of a tenant that has one:
     *     the estimate reads the whole prompt
     * @throws RuntimeException when the budgets cannot be read (Redis away): the job is tried again shortly
     */
    Verdict start(String tenant, String jobId, LongSupplier tokens);

    /**
     * A job of the tenant ended: the tokens it used (none for a failure, a cached or a stored answer) replace its
     * reservation.
     */
    void settle(String tenant, JobResult result);
}
