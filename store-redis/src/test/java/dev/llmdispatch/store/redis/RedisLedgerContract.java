package dev.llmdispatch.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.dispatch.spi.TenantLedger;
import dev.llmdispatch.dispatch.spi.TenantLedgerContract;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
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

    @Override
    protected long millisLeftInDay() {
        return 86_400_000 - Clock.systemUTC().millis() % 86_400_000;
    }

    /** What the in-memory ledger shows across midnight, the script's side of it: a job's mark outlives its day. */
    @Test
    void a_jobs_mark_is_kept_through_the_next_day() {
        String tenant = "t-" + UUID.randomUUID();
        ledger.admit(tenant, new TenantLedger.Budget(-1, 10, -1, -1), "marked-1");
        long ttl = redis.getBucket(RedisKeys.of("ledger").tenantCounted(tenant, "marked-1"))
                .remainTimeToLive();
        assertThat(ttl).isGreaterThan(millisLeftInDay() + Duration.ofHours(23).toMillis());
    }
}
