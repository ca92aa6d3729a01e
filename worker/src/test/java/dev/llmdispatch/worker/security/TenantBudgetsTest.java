package dev.llmdispatch.worker.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.redis.RedisConnections;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/** Tenants' budgets on a real Redis (budget.lua). */
@IntegrationTest
class TenantBudgetsTest {

    private final RedissonClient redis;

    TenantBudgetsTest(Infrastructure infra) {
        this.redis = RedisConnections.create(infra.redisUrl());
    }

    @AfterEach
    void close() {
        redis.shutdown();
    }

    // a day's budget: the test does not straddle a minute's boundary, which would start the count again
    @Test
    void a_job_is_counted_once_whoever_admits_it_and_however_often() {
        TenantBudgets budgets = new TenantBudgets(redis, "budgets-" + System.nanoTime());
        Tenant tenant = new Tenant("metered", Priority.LOW, Set.of(), Set.of(), -1, 2, -1, -1, 1);

        // the ingress admits job-1, then the worker that starts it, then another after a rebalance
        TenantBudgets.Admission first = budgets.admit(tenant, "job-1");
        assertThat(first.admitted()).isTrue();
        assertThat(first.countedBefore()).isFalse();
        for (int i = 0; i < 2; i++) {
            TenantBudgets.Admission again = budgets.admit(tenant, "job-1");
            assertThat(again.admitted()).isTrue();
            assertThat(again.countedBefore()).isTrue();
        }
        assertThat(budgets.use(tenant).requestsToday()).isEqualTo(1);

        assertThat(budgets.admit(tenant, "job-2").admitted()).isTrue();
        assertThat(budgets.use(tenant).requestsToday()).isEqualTo(2);
        TenantBudgets.Admission third = budgets.admit(tenant, "job-3");
        assertThat(third.admitted()).isFalse();
        assertThat(third.spent()).isEqualTo("requests-per-day");
        assertThat(third.retryAfter().toMillis()).isBetween(1L, 86_400_000L);
        // a job refused is not marked: it is counted when the day renews; one counted still starts
        assertThat(budgets.admit(tenant, "job-3").admitted()).isFalse();
        assertThat(budgets.admit(tenant, "job-2").admitted()).isTrue();
        assertThat(budgets.use(tenant).requestsToday()).isEqualTo(2);
    }
}
