package dev.llmdispatch.dispatch.redis;

import static org.awaitility.Awaitility.await;

import dev.llmdispatch.dispatch.spi.TenantLedger;
import dev.llmdispatch.dispatch.spi.TenantLedgerContract;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.redisson.api.RedissonClient;

/** The ledger contract on budget.lua, on a real Redis and its clock. */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT) // waits on Redis' clock more than it computes: beside the other tests
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one client for the cases
class RedisTenantLedgerTest extends TenantLedgerContract {

    private final RedissonClient redis;
    private final TenantLedger ledger;

    RedisTenantLedgerTest(Infrastructure infra) {
        this.redis = RedisConnections.create(infra.redisUrl());
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
