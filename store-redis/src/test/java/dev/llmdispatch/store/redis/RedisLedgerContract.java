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
import org.redisson.client.codec.StringCodec;

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
        TenantLedger.Budget budget = new TenantLedger.Budget(-1, 10, 1_000, -1);
        ledger.admit(tenant, budget, "marked-1", 300);
        ledger.settle(tenant, budget, "marked-1", 120); // settling keeps the mark as long
        long ttl = redis.getBucket(RedisKeys.of("ledger").tenantCounted(tenant, "marked-1"))
                .remainTimeToLive();
        assertThat(ttl).isGreaterThan(millisLeftInDay() + Duration.ofHours(23).toMillis());
        assertThat(ledger.use(tenant, budget).tokensToday()).isEqualTo(120);
    }

    /** A mark written before reservations ("1") reserved nothing: settling it adds what the job used. */
    @Test
    void a_mark_from_before_reservations_settles_to_what_was_used() {
        String tenant = "t-" + UUID.randomUUID();
        TenantLedger.Budget budget = new TenantLedger.Budget(-1, -1, 1_000, -1);
        redis.getBucket(RedisKeys.of("ledger").tenantCounted(tenant, "old-1"), StringCodec.INSTANCE)
                .set("1", Duration.ofHours(1));
        assertThat(ledger.admit(tenant, budget, "old-1", 500).countedBefore()).isTrue();
        ledger.settle(tenant, budget, "old-1", 80);
        assertThat(ledger.use(tenant, budget).tokensThisMinute()).isEqualTo(80);
    }
}
