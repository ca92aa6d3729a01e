package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.JobLedger;
import dev.llmdispatch.time.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * A job's run, on the in-memory job ledger (held to Redis by {@code JobLedgerContract}), a manual clock and a dispatch
 * that counts its calls: one provider call per delivery, whatever comes twice; answers stored before they are handed
 * back; expiry, budgets, a moved delivery and a store that fails each end the run as they must.
 */
class JobRunTest {

    /** The runs' time: their clock, ticker and sleeper (a wait for a claim or the store passes none). */
    private final ManualTime time = new ManualTime(Instant.parse("2026-12-07T12:00:00Z"));
    /** The store's own time, as Redis has its own: claims lapse only when a test moves it. */
    private final ManualTime storeTime = new ManualTime(Instant.parse("2026-12-07T12:00:00Z"));

    private final AttemptLog attempts = AttemptLog.inMemory();
    private final JobLedger ledger = JobLedger.inMemory(storeTime.clock(), attempts);
    private final AtomicInteger dispatched = new AtomicInteger();
    private volatile DispatchOutcome next = answer();

    @AutoClose
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    private final Dispatch dispatch = new Dispatch() {
        @Override
        public DispatchOutcome dispatch(Job job, Priority priority) {
            dispatched.incrementAndGet();
            return next;
        }
    };

    private static DispatchOutcome answer() {
        return new DispatchOutcome(
                JobStatus.SUCCEEDED,
                Tier.TIER_2,
                "hunyuan",
                "hunyuan-1",
                "m",
                JsonNodeFactory.instance.objectNode().put("answer", 42),
                null,
                List.of(),
                120,
                30,
                false);
    }

    private static DispatchOutcome allFailed() {
        return DispatchOutcome.failed(
                Tier.TIER_2,
                ErrorCode.ALL_PROVIDERS_FAILED,
                "every account failed",
                true,
                List.of(new JobResult.Attempt("hunyuan-1", 503, "server_error", 5)),
                5,
                0);
    }

    private JobRun.Builder run(JobLedger ledger) {
        return JobRun.builder(new JobClaims(ledger, Duration.ofSeconds(15)), dispatch)
                .clock(time.clock())
                .ticker(time)
                .sleeper(time);
    }

    private JobRun run() {
        return run(ledger).build();
    }

    private static JobRun.Delivery delivery(Priority priority, int replay) {
        return new JobRun.Delivery(priority, replay, 0, () -> false);
    }

    private static Job job(String id) {
        return Job.chat(id, "hi").toBuilder()
                .metadata(JsonNodeFactory.instance.objectNode().put("caller", "test"))
                .build();
    }

    @Test
    void a_job_is_dispatched_once_and_a_second_delivery_gets_the_stored_answer() throws Exception {
        JobEnd first = run().run(job("j1"), delivery(Priority.MEDIUM, 0));

        assertThat(first).isInstanceOfSatisfying(JobEnd.Answered.class, a -> {
            assertThat(a.stored()).isTrue();
            assertThat(a.result().status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(a.result().account()).isEqualTo("hunyuan-1");
            assertThat(a.result().metadata().path("caller").asString()).isEqualTo("test");
            assertThat(a.result().timings().providerMs()).isEqualTo(120);
        });
        time.advance(Duration.ofMinutes(5));
        // a producer's retry, or a redelivery after a crash, on another worker and at another priority
        JobEnd again = run().run(job("j1"), delivery(Priority.HIGH, 0));

        assertThat(again).isInstanceOfSatisfying(JobEnd.AnsweredBefore.class, a -> {
            assertThat(a.result().cached()).isTrue();
            assertThat(a.result().priority()).isEqualTo(Priority.HIGH);
            assertThat(a.result().response())
                    .isEqualTo(((JobEnd.Answered) first).result().response());
            assertThat(a.result().completedAt()).isEqualTo(time.instant());
        });
        assertThat(dispatched).hasValue(1);
    }

    @Test
    void a_delivery_waits_while_another_run_holds_the_claim_and_then_gets_its_answer() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch inDispatch = new CountDownLatch(1);
        Dispatch slow = new Dispatch() {
            @Override
            public DispatchOutcome dispatch(Job job, Priority priority) throws InterruptedException {
                dispatched.incrementAndGet();
                inDispatch.countDown();
                release.await();
                return answer();
            }
        };
        AtomicInteger refused = new AtomicInteger();
        // real time here: the waiting run polls the claim while the first one runs
        JobRun first = JobRun.builder(new JobClaims(ledger, Duration.ofSeconds(15)), slow)
                .build();
        JobRun second = JobRun.builder(
                        new JobClaims(new CountingRefusals(ledger, refused), Duration.ofSeconds(15)), slow)
                .build();
        Future<JobEnd> running = pool.submit(() -> first.run(job("j2"), delivery(Priority.LOW, 0)));
        inDispatch.await();
        Future<JobEnd> waiting = pool.submit(() -> second.run(job("j2"), delivery(Priority.LOW, 0)));
        await().until(() -> refused.get() >= 2); // it asked, was refused, waited and asked again
        // a delivery that moves while it waits ends without a call
        assertThat(run().run(job("j2"), new JobRun.Delivery(Priority.LOW, 0, 0, () -> true)))
                .isInstanceOf(JobEnd.HandedOver.class);

        release.countDown();

        assertThat(running.get()).isInstanceOf(JobEnd.Answered.class);
        assertThat(waiting.get()).isInstanceOf(JobEnd.AnsweredBefore.class);
        assertThat(dispatched).hasValue(1);
    }

    @Test
    void an_expired_job_ends_without_a_call_and_its_end_is_stored() throws Exception {
        Job late =
                job("j3").toBuilder().deadline(time.instant().minusSeconds(1)).build();

        JobEnd end = run().run(late, delivery(Priority.MEDIUM, 0));

        assertThat(end).isInstanceOfSatisfying(JobEnd.Failed.class, f -> {
            assertThat(f.result().status()).isEqualTo(JobStatus.EXPIRED);
            assertThat(f.result().error().code()).isEqualTo(ErrorCode.EXPIRED);
            assertThat(f.deadLetter()).isNull();
            assertThat(f.stored()).isTrue();
        });
        assertThat(run().run(late, delivery(Priority.MEDIUM, 0))).isInstanceOf(JobEnd.AnsweredBefore.class);
        assertThat(dispatched).hasValue(0);
    }

    @Test
    void a_failure_is_kept_for_replay_and_a_replay_runs_again_while_the_same_delivery_does_not() throws Exception {
        next = allFailed();
        JobEnd failed = run().run(job("j4"), delivery(Priority.MEDIUM, 0));
        assertThat(failed).isInstanceOfSatisfying(JobEnd.Failed.class, f -> {
            assertThat(f.deadLetter()).isEqualTo(DeadLetterReason.ALL_PROVIDERS_FAILED);
            assertThat(f.why()).isEqualTo("every account failed");
            assertThat(f.result().attempts()).hasSize(1);
        });
        assertThat(run().run(job("j4"), delivery(Priority.MEDIUM, 0))).isInstanceOf(JobEnd.AnsweredBefore.class);

        next = answer();
        assertThat(run().run(job("j4"), delivery(Priority.MEDIUM, 1))).isInstanceOf(JobEnd.Answered.class);
        assertThat(dispatched).hasValue(2);
        // a success stands for every later replay
        assertThat(run().run(job("j4"), delivery(Priority.MEDIUM, 2))).isInstanceOf(JobEnd.AnsweredBefore.class);
        assertThat(dispatched).hasValue(2);
    }

    @Test
    void a_tenant_out_of_budget_holds_its_job_or_ends_it_and_an_answer_is_charged() throws Exception {
        List<String> charged = new CopyOnWriteArrayList<>();
        AtomicInteger asked = new AtomicInteger();
        TenantBudgetCheck budgets = new TenantBudgetCheck() {
            @Override
            public Verdict start(String tenant, String jobId, LongSupplier tokens) {
                if (jobId.equals("acme:j6")) {
                    return new Spent("tenant acme spent its 1000 requests of the day");
                }
                // the minute's budget is spent the first time acme:j5 asks, renewed the next
                return jobId.equals("acme:j5") && asked.getAndIncrement() == 0
                        ? new Hold(Duration.ofSeconds(20), "requests per minute")
                        : START;
            }

            @Override
            public void settle(String tenant, JobResult result) {
                charged.add(tenant + " " + result.id());
            }
        };
        JobRun run = run(ledger).budgets(budgets).build();
        Job job = job("acme:j5").toBuilder().tenant("acme").build();

        assertThat(run.run(job, delivery(Priority.MEDIUM, 0))).isEqualTo(new JobEnd.Held(Duration.ofSeconds(20)));
        assertThat(ledger.start("acme:j5", "someone else", Duration.ofSeconds(15))
                        .claimed())
                .as("the held job's claim was given up")
                .isTrue();
        assertThat(ledger.release("acme:j5", "someone else")).isTrue();
        assertThat(run.run(job("other"), delivery(Priority.MEDIUM, 0))).isInstanceOf(JobEnd.Answered.class);
        JobEnd spent = run.run(job("acme:j6").toBuilder().tenant("acme").build(), delivery(Priority.MEDIUM, 0));
        assertThat(spent).isInstanceOfSatisfying(JobEnd.Failed.class, f -> {
            assertThat(f.result().error().code()).isEqualTo(ErrorCode.BUDGET_SPENT);
            assertThat(f.deadLetter()).as("kept for replay").isEqualTo(DeadLetterReason.BUDGET_SPENT);
            assertThat(f.why()).contains("1000 requests of the day");
        });
        assertThat(run.run(job, delivery(Priority.MEDIUM, 0))).isInstanceOf(JobEnd.Answered.class);

        assertThat(dispatched).hasValue(2); // "other" and the held job, once its budget renewed
        assertThat(charged).containsExactly("acme acme:j6", "acme acme:j5");
    }

    @Test
    void a_run_cut_off_gives_its_claim_up_for_the_next_delivery() {
        Dispatch cut = new Dispatch() {
            @Override
            public DispatchOutcome dispatch(Job job, Priority priority) throws InterruptedException {
                dispatched.incrementAndGet();
                throw new InterruptedException("stopping");
            }
        };
        JobRun stopping = JobRun.builder(new JobClaims(ledger, Duration.ofSeconds(15)), cut)
                .clock(time.clock())
                .sleeper(time)
                .build();

        assertThatThrownBy(() -> stopping.run(job("j7"), delivery(Priority.MEDIUM, 0)))
                .isInstanceOf(InterruptedException.class);

        assertThat(ledger.start("j7", "next", Duration.ofSeconds(15)).claimed()).isTrue();
    }

    @Test
    void an_outcome_the_store_refuses_for_a_while_is_stored_when_it_comes_back() throws Exception {
        AtomicInteger refusals = new AtomicInteger(5);
        JobLedger flaky = new FailingFinish(ledger, refusals);
        long before = time.nanos();

        JobEnd end = run(flaky).build().run(job("j8"), delivery(Priority.MEDIUM, 0));

        assertThat(end)
                .isInstanceOfSatisfying(
                        JobEnd.Answered.class, a -> assertThat(a.stored()).isTrue());
        assertThat(Duration.ofNanos(time.nanos() - before)).isEqualTo(Duration.ofSeconds(5));
        assertThat(run().run(job("j8"), delivery(Priority.MEDIUM, 0))).isInstanceOf(JobEnd.AnsweredBefore.class);
    }

    @Test
    void an_outcome_the_store_never_takes_is_handed_back_unstored_after_thirty_seconds() throws Exception {
        JobLedger down = new FailingFinish(ledger, new AtomicInteger(Integer.MAX_VALUE));
        long before = time.nanos();

        JobEnd end = run(down).build().run(job("j9"), delivery(Priority.MEDIUM, 0));

        assertThat(end)
                .isInstanceOfSatisfying(
                        JobEnd.Answered.class, a -> assertThat(a.stored()).isFalse());
        assertThat(Duration.ofNanos(time.nanos() - before)).isEqualTo(Duration.ofSeconds(29));
        // its claim was given up: the next delivery runs it (the one provider call the store could not prevent)
        assertThat(ledger.start("j9", "someone else", Duration.ofSeconds(15)).claimed())
                .isTrue();
        ledger.release("j9", "someone else");
        assertThat(run().run(job("j9"), delivery(Priority.MEDIUM, 0))).isInstanceOf(JobEnd.Answered.class);
        assertThat(dispatched).hasValue(2);
    }

    @Test
    void timings_count_from_the_record_and_a_producer_clock_ahead_never_makes_them_negative() throws Exception {
        long now = time.instant().toEpochMilli();
        JobEnd queued = run().run(job("j10"), new JobRun.Delivery(Priority.LOW, 0, now - 4_000, () -> false));
        assertThat(((JobEnd.Ended) queued).result().timings().queuedMs()).isEqualTo(4_000);
        assertThat(((JobEnd.Ended) queued).result().timings().totalMs()).isEqualTo(4_000);

        JobEnd ahead = run().run(job("j11"), new JobRun.Delivery(Priority.LOW, 0, now + 60_000, () -> false));
        assertThat(((JobEnd.Ended) ahead).result().timings().queuedMs()).isZero();
    }

    @Test
    void the_result_is_fitted_before_it_is_stored_so_a_redelivery_gets_what_this_one_got() throws Exception {
        JobRun fitting = run(ledger)
                .fitting(r -> r.toBuilder()
                        .response(JsonNodeFactory.instance.objectNode().put("trimmed", true))
                        .build())
                .build();

        JobEnd end = fitting.run(job("j12"), delivery(Priority.MEDIUM, 0));
        JobEnd again = run().run(job("j12"), delivery(Priority.MEDIUM, 0));

        assertThat(((JobEnd.Answered) end).result().response().path("trimmed").asBoolean())
                .isTrue();
        assertThat(((JobEnd.AnsweredBefore) again)
                        .result()
                        .response()
                        .path("trimmed")
                        .asBoolean())
                .isTrue();
    }

    @Test
    void the_listener_hears_each_dispatch_with_the_time_spent_before_it() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        TenantBudgetCheck slowBudgets = new TenantBudgetCheck() {
            @Override
            public Verdict start(String tenant, String jobId, LongSupplier tokens) {
                time.advance(Duration.ofMillis(3)); // a round trip to the budgets
                return START;
            }

            @Override
            public void settle(String tenant, JobResult result) {}
        };
        JobRun run = run(ledger)
                .budgets(slowBudgets)
                .listener((job, nanos) -> heard.add(job.id() + " " + nanos))
                .build();
        run.run(job("j13"), delivery(Priority.MEDIUM, 0));
        run.run(job("j13"), delivery(Priority.MEDIUM, 0)); // answered before: no dispatch
        assertThat(heard).containsExactly("j13 3000000");
    }

    /** A ledger that counts the starts it refused: another run held the claim. */
    private record CountingRefusals(JobLedger ledger, AtomicInteger refused) implements JobLedger {
        @Override
        public Found start(String jobId, String token, Duration lease) {
            Found found = ledger.start(jobId, token, lease);
            if (!found.claimed()) {
                refused.incrementAndGet();
            }
            return found;
        }

        @Override
        public void finish(String jobId, String token, String outcome, Duration keep) {
            ledger.finish(jobId, token, outcome, keep);
        }

        @Override
        public boolean release(String jobId, String token) {
            return ledger.release(jobId, token);
        }

        @Override
        public List<Renewal> renew(List<Held> claims, Duration lease) {
            return ledger.renew(claims, lease);
        }
    }

    /** A ledger whose finish fails while {@code refusals} lasts (the store away), then works. */
    private record FailingFinish(JobLedger ledger, AtomicInteger refusals) implements JobLedger {
        @Override
        public Found start(String jobId, String token, Duration lease) {
            return ledger.start(jobId, token, lease);
        }

        @Override
        public void finish(String jobId, String token, String outcome, Duration keep) {
            if (refusals.getAndDecrement() > 0) {
                throw new IllegalStateException("Redis is away");
            }
            ledger.finish(jobId, token, outcome, keep);
        }

        @Override
        public boolean release(String jobId, String token) {
            return ledger.release(jobId, token);
        }

        @Override
        public List<Renewal> renew(List<Held> claims, Duration lease) {
            return ledger.renew(claims, lease);
        }
    }
}
