package dev.llmdispatch.dispatch.spi;

import java.time.Clock;

/** The job ledger contract on the in-memory ledger: every view is the one ledger of the test. */
class InMemoryJobLedgerTest extends JobLedgerContract {

    private final AttemptLog attempts = AttemptLog.inMemory();
    private final JobLedger ledger = JobLedger.inMemory(Clock.systemUTC(), attempts);

    @Override
    protected JobLedger view() {
        return ledger;
    }

    @Override
    protected AttemptLog attempts() {
        return attempts;
    }
}
