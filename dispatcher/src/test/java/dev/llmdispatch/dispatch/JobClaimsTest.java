package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.ErrorCode;
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
import org.junit.jupiter.api.Test;

/**
 * The claims' rules on the in-memory ledger and a manual clock (the ledger itself is held to Redis by
 * {@code JobLedgerContract}): one run of a job at a time, fleet-wide and on one worker; a dead holder's claim lapses
 * and a renewed one does not; a start reads the stored outcome that answers its replay, and the attempts it has left.
 */
class JobClaimsTest {

    private final ManualTime time = new ManualTime();
    private final AttemptLog attempts = AttemptLog.inMemory();
    private final JobLedger ledger = JobLedger.inMemory(time.clock(), attempts);
    private final JobClaims here = new JobClaims(ledger, Duration.ofSeconds(15));
    private final JobClaims there = new JobClaims(ledger, Duration.ofSeconds(15));

    @Test
    void one_run_of_a_job_at_a_time_and_a_dead_holders_claim_lapses() {
        JobClaims.Claim first = here.start("job-1", 0).claim();
        assertThat(first).isNotNull();
        assertThat(there.start("job-1", 0).claim()).as("another worker").isNull();
        assertThat(here.start("job-1", 0).claim())
                .as("a second run of the job on the same worker")
                .isNull();
        assertThat(there.start("job-2", 0).claim()).as("another job").isNotNull();

        // renewed while it runs: still held after several leases
        for (int i = 0; i < 6; i++) {
            time.advance(here.renewInterval());
            here.renewAll();
            assertThat(there.start("job-1", 0).claim()).isNull();
        }
        here.release(first);
        JobClaims.Claim taken = there.start("job-1", 0).claim();
        assertThat(taken).as("released: the next run takes it").isNotNull();

        // its holder dies (no renewal, no release): it lapses after the lease, not before
        time.advance(Duration.ofSeconds(15));
        assertThat(here.start("job-1", 0).claim())
                .as("at its lease's end, as Redis")
                .isNull();
        time.advance(Duration.ofMillis(1));
        assertThat(here.start("job-1", 0).claim()).isNotNull();
        // releasing a claim that lapsed and was taken does not free the new holder's
        there.release(taken);
        assertThat(there.start("job-1", 0).claim()).isNull();
    }

    @Test
    void a_start_reads_the_outcome_that_answers_its_replay_and_the_attempts_it_has_left() {
        JobResult.Attempt refused = new JobResult.Attempt("nvidia-1", 503, "busy", 12);
        attempts.failed("job-1", refused);

        JobClaims.Start first = here.start("job-1", 0);
        assertThat(first.claim()).isNotNull();
        assertThat(first.answered()).isEmpty();
        assertThat(first.before()).containsExactly(refused);

        JobResult failed = new JobResult(
                null,
                "job-1",
                JobStatus.FAILED,
                Priority.MEDIUM,
                Tier.TIER_2,
                null,
                null,
                null,
                null,
                new JobResult.JobError(ErrorCode.ALL_PROVIDERS_FAILED, "all failed", true),
                List.of(refused),
                false,
                null,
                null,
                Instant.parse("2026-11-28T12:00:00Z"));
        here.finish(first.claim(), failed, 1);

        JobClaims.Start again = there.start("job-1", 1);
        assertThat(again.answered()).as("the outcome of this replay").contains(failed);
        assertThat(again.claim()).as("given up with the outcome stored").isNotNull();
        assertThat(again.before()).as("answered: no attempts read").isEmpty();
        there.release(again.claim());

        // ops replay the failure; the replay fails once more, then its partition moves
        JobResult.Attempt replayFailed = new JobResult.Attempt("nvidia-2", 503, "busy", 9);
        attempts.failed("job-1", replayFailed);
        JobClaims.Start replayed = here.start("job-1", 2);
        assertThat(replayed.answered())
                .as("a later replay of a failure runs again")
                .isEmpty();
        assertThat(replayed.claim()).isNotNull();
        assertThat(replayed.before())
                .as("with the attempts its replay made, beside the stored failure of the earlier one")
                .containsExactly(replayFailed);
    }

    @Test
    void a_start_answered_by_a_stored_outcome_reads_no_attempts() {
        JobClaims.Claim claim = here.start("job-2", 0).claim();
        here.finish(claim, JobResult.builder("job-2", JobStatus.SUCCEEDED).build(), 0);
        // a failed call logged late (a run that had lost the job, still ending)
        attempts.failed("job-2", new JobResult.Attempt("nvidia-1", 503, "busy", 3));

        JobClaims.Start again = there.start("job-2", 0);

        assertThat(again.answered()).isPresent();
        assertThat(again.claim()).as("free: the outcome is stored").isNotNull();
        assertThat(again.before()).isEmpty();
    }
}
