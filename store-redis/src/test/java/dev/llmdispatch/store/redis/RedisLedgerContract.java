package dev.llmdispatch.store.redis;

import static org.awaitility.Awaitility.await;

import dev.llmdispatch.dispatch.spi.TenantLedger;
import dev.llmdispatch.dispatch.spi.TenantLedgerContract;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.redisson.api.RedissonClient;

/** The ledger contract on budget.lua, on a real Redis and its clock (one server, or a cluster). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one client for the cases
abstract class RedisLedgerContract extends TenantLedgerContract {

    private final RedissonClient redis;
    private final TenantLedger ledger;

    RedisLedgerContract(String url) {
        this.redis = RedisConnections.create(url);
        this.ledger = new RedisStores(redis, "ledger").tenants();
    }

    @AfterAll
    void close() {
        redis.shutdown();
    }

    @Override
    protected TenantLedger ledger() {
        return ledger;
    }

    @Override
    protected boolean canPassTime() {
        return false;
    }

    @Override
    protected void pass(Duration time) {
        await().pollDelay(time).atMost(time.plusSeconds(1)).until(() -> true);
    }

    @Override
    protected long millisLeftInMinute() {
        // the server is on this machine: its TIME is this clock
        return 60_000 - Clock.systemUTC().millis() % 60_000;
    }
}
