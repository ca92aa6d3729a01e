package dev.llmdispatch.dispatch.spi;

import dev.llmdispatch.time.ManualTime;
import java.time.Duration;
import java.time.Instant;

/** The ledger contract on the in-memory ledger, on a manual clock. */
class InMemoryTenantLedgerTest extends TenantLedgerContract {

    private final ManualTime time = new ManualTime(Instant.parse("2026-12-07T10:15:30Z"));
    private final TenantLedger ledger = TenantLedger.inMemory(time.clock());

    @Override
    protected TenantLedger ledger() {
        return ledger;
    }

    @Override
    protected boolean canPassTime() {
        return true;
    }

    @Override
    protected void pass(Duration duration) {
        time.advance(duration);
    }

    @Override
    protected long millisLeftInMinute() {
        long now = time.clock().millis();
        return 60_000 - now % 60_000;
    }

    @Override
    protected long millisLeftInDay() {
        return 86_400_000 - time.clock().millis() % 86_400_000;
    }
}
