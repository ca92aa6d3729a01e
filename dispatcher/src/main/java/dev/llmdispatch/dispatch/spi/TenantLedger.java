package dev.llmdispatch.dispatch.spi;

import java.time.Clock;
import java.time.Duration;

/**
 * Tenants' budgets, fleet-wide: requests and tokens a minute and a day (UTC), by the store's clock, so every worker
 * counts against the same figures. A request is admitted, and counted with its estimated tokens reserved, while none
 * of its tenant's budgets is spent (as providers' own token limits work: the request that crosses the line is served,
 * the next one waits); the tokens it used replace the reservation when it ends. {@code RedisTenantLedger} for a fleet; {@link #inMemory} for one process
 * and for tests, held to the same cases by the ledger's contract tests.
 */
public interface TenantLedger {

    /** A tenant's budgets; -1: none. */
    record Budget(long requestsPerMinute, long requestsPerDay, long tokensPerMinute, long tokensPerDay) {
        public static final Budget NONE = new Budget(-1, -1, -1, -1);

        /** Whether any budget is set. */
        public boolean any() {
            return requestsPerMinute >= 0 || requestsPerDay >= 0 || tokens();
        }

        /** Whether a token budget is set. */
        public boolean tokens() {
            return tokensPerMinute >= 0 || tokensPerDay >= 0;
        }
    }

    /** A tenant's use: requests and tokens this minute and today. */
    record Use(long requestsThisMinute, long requestsToday, long tokensThisMinute, long tokensToday) {
        public static final Use NONE = new Use(0, 0, 0, 0);
    }

    /**
     * Whether a request was admitted.
     *
     * @param spent the budget that is spent (e.g. {@code requests-per-minute}), when refused; "" when admitted
     * @param retryAfter when that budget renews
     * @param countedBefore admitted because the job was counted before (not counted now)
     */
    record Admission(boolean admitted, String spent, Duration retryAfter, Use use, boolean countedBefore) {}

    /**
     * Counts one request of the tenant for this job, and reserves its estimated tokens against the token budgets, unless
     * one of its budgets is spent. A job counted once (until the end of the next day) is admitted again without counting
     * or reserving: the ingress that admitted it and the worker that starts it, or a worker that starts it again after a
     * rebalance, count it once, on one day, even across midnight.
     *
     * @param tokens the job's estimated tokens (prompt and allowed answer), held in the token budgets until
     *     {@link #settle} replaces them by what it used; a job never settled keeps them to the end of its minute and day
     */
    Admission admit(String tenant, Budget budget, String jobId, long tokens);

    /**
     * A job of the tenant ended: its reservation (in the minute and day it was made, while they last) is replaced by the
     * tokens it used, once; a job settled before, or never admitted, adds what it used.
     */
    void settle(String tenant, Budget budget, String jobId, long usedTokens);

    /** The tenant's use now. */
    Use use(String tenant, Budget budget);

    /** A ledger in this process's memory, on {@code clock}: for one worker alone, and for tests. */
    static TenantLedger inMemory(Clock clock) {
        return new InMemoryTenantLedger(clock);
    }
}
