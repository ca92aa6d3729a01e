package dev.llmdispatch.store.redis;

import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** The ledger contract on one real {@code redis-server}. */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT) // waits on Redis' clock more than it computes: beside the other tests
class RedisTenantLedgerTest extends RedisLedgerContract {

    RedisTenantLedgerTest(Infrastructure infra) {
        super(infra.redisUrl());
    }
}
