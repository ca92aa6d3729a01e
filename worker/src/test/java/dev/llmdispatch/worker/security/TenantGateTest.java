package dev.llmdispatch.worker.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.TenantBudgetCheck.Hold;
import dev.llmdispatch.dispatch.TenantBudgetCheck.Spent;
import dev.llmdispatch.dispatch.TenantBudgetCheck.Start;
import dev.llmdispatch.dispatch.TenantBudgetCheck.Verdict;
import dev.llmdispatch.dispatch.spi.TenantLedger;
import dev.llmdispatch.time.ManualTime;
import dev.llmdispatch.worker.observe.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The budget rules a worker applies to the jobs it consumes, on the in-memory ledger (held to budget.lua by the ledger
 * contract) and a manual clock: in milliseconds, whatever minute it is.
 */
class TenantGateTest {

    private final ManualTime time = new ManualTime(Instant.parse("2026-12-07T10:15:10Z"));
    private final TenantLedger ledger = TenantLedger.inMemory(time.clock());

    private static Tenant tenant(String name, long perMinute, long perDay, long tokensPerMinute) {
        return new Tenant(name, Priority.LOW, Set.of(), Set.of(), perMinute, perDay, tokensPerMinute, -1, 1);
    }

    private TenantGate gate(Tenant... tenants) {
        Map<String, Tenant> byName = new java.util.HashMap<>();
        for (Tenant t : tenants) {
            byName.put(t.name(), t);
        }
        return new TenantGate(
                new TenantBudgets(ledger),
                job -> job.tier(),
                new Metrics(new SimpleMeterRegistry()),
                name -> Optional.ofNullable(byName.get(name)));
    }

    @Test
    void past_its_minute_a_tenants_jobs_are_held_until_the_minute_renews_then_start_each_counted_once() {
        TenantGate gate = gate(tenant("metered", 2, -1, -1));
        assertThat(gate.start("metered", "job-1", () -> 0)).isInstanceOf(Start.class);
        assertThat(gate.start("metered", "job-2", () -> 0)).isInstanceOf(Start.class);

        Verdict third = gate.start("metered", "job-3", () -> 0);
        assertThat(third).isInstanceOf(Hold.class);
        Hold hold = (Hold) third;
        assertThat(hold.budget()).isEqualTo("requests-per-minute");
        // 10:15:10 → the minute renews in 50 s; the hold adds a margin for the store's clock
        assertThat(hold.renewsIn()).isBetween(Duration.ofSeconds(50), Duration.ofSeconds(51));
        // a job that started before starts again (a rebalance) without counting, held or not
        assertThat(gate.start("metered", "job-1", () -> 0)).isInstanceOf(Start.class);

        time.advance(hold.renewsIn());
        assertThat(gate.start("metered", "job-3", () -> 0)).isInstanceOf(Start.class);
        assertThat(ledger.use("metered", new TenantLedger.Budget(2, -1, -1, -1)).requestsToday())
                .as("requests counted today: job-1, job-2, job-3 once each")
                .isEqualTo(3);
    }

    @Test
    void a_spent_day_ends_the_job_with_a_message_that_says_when_to_replay() {
        TenantGate gate = gate(tenant("daily", -1, 1, -1));
        assertThat(gate.start("daily", "job-1", () -> 0)).isInstanceOf(Start.class);
        Verdict next = gate.start("daily", "job-2", () -> 0);
        assertThat(next).isInstanceOf(Spent.class);
        assertThat(((Spent) next).message()).contains("daily", "requests-per-day", "midnight UTC", "replay");
    }

    @Test
    void an_answers_tokens_are_charged_and_hold_the_next_job_past_the_tokens_a_minute() {
        TenantGate gate = gate(tenant("tokens", -1, -1, 100));
        assertThat(gate.start("tokens", "job-1", () -> 0)).isInstanceOf(Start.class);
        gate.settle("tokens", answered("job-1", 120, false));
        Verdict next = gate.start("tokens", "job-2", () -> 0);
        assertThat(next).isInstanceOf(Hold.class);
        assertThat(((Hold) next).budget()).isEqualTo("tokens-per-minute");
    }

    @Test
    void a_jobs_reserved_tokens_hold_the_next_until_it_ends_and_a_failure_gives_them_back() {
        TenantGate gate = gate(tenant("tokens", -1, -1, 100));
        assertThat(gate.start("tokens", "job-1", () -> 80)).isInstanceOf(Start.class);
        assertThat(gate.start("tokens", "job-2", () -> 80))
                .as("crosses the line: served")
                .isInstanceOf(Start.class);
        assertThat(gate.start("tokens", "job-3", () -> 80))
                .as("160 tokens reserved before any answer")
                .isInstanceOf(Hold.class);
        gate.settle("tokens", JobResult.builder("job-1", JobStatus.FAILED).build());
        assertThat(gate.start("tokens", "job-3", () -> 80)).isInstanceOf(Start.class);
    }

    @Test
    void what_the_ingress_reserved_comes_back_when_the_job_never_reaches_kafka() {
        Tenant tenant = tenant("tokens", -1, -1, 1_000);
        TenantGate gate = gate(tenant);
        Job job = Job.chat("tokens:j1", "x".repeat(2_000)).toBuilder()
                .tenant("tokens")
                .build();
        assertThat(gate.admit(tenant, job, null)).isInstanceOf(TenantGate.Admitted.class);
        TenantLedger.Budget budget = new TenantLedger.Budget(-1, -1, 1_000, -1);
        assertThat(ledger.use("tokens", budget).tokensThisMinute())
                .as("its prompt, estimated, reserved at the ingress")
                .isGreaterThan(400);
        gate.settleIfNotQueued(
                tenant,
                job.id(),
                CompletableFuture.failedFuture(new IllegalArgumentException("job tokens:j1 has no model")));
        assertThat(ledger.use("tokens", budget).tokensThisMinute()).isZero();

        Job sent = Job.chat("tokens:j2", "y".repeat(2_000)).toBuilder()
                .tenant("tokens")
                .build();
        gate.admit(tenant, sent, null);
        gate.settleIfNotQueued(
                tenant, sent.id(), CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException()));
        assertThat(ledger.use("tokens", budget).tokensThisMinute())
                .as("sent, only no answer in time: the worker that runs it settles it")
                .isGreaterThan(400);
    }

    @Test
    void a_cached_answer_costs_nothing_and_a_tenant_without_budgets_is_never_counted() {
        TenantGate gate = gate(tenant("tokens", -1, -1, 100), tenant("free", -1, -1, -1));
        gate.settle("tokens", answered("job-1", 500, true));
        assertThat(gate.start("tokens", "job-2", () -> 0)).isInstanceOf(Start.class);

        for (int i = 0; i < 100; i++) {
            assertThat(gate.start("free", "job-" + i, () -> 0)).isInstanceOf(Start.class);
        }
        assertThat(gate.start("unknown", "job-1", () -> 0)).isInstanceOf(Start.class);
        assertThat(gate.start(null, "job-1", () -> 0)).isInstanceOf(Start.class);
        assertThat(ledger.use("free", TenantLedger.Budget.NONE).requestsToday()).isZero();
    }

    private static JobResult answered(String id, long tokens, boolean cached) {
        return JobResult.builder(id, JobStatus.SUCCEEDED)
                .response(JobCodec.mapper().readTree("{\"usage\":{\"total_tokens\":" + tokens + "}}"))
                .cached(cached)
                .build();
    }
}
