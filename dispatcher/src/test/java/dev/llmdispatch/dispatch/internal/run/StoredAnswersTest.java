package dev.llmdispatch.dispatch.internal.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The replay rule of stored answers: a success stands for every replay, a failure only for its own and earlier ones. */
class StoredAnswersTest {

    private static JobResult result(String id, JobStatus status, JobResult.JobError error) {
        return new JobResult(
                null,
                id,
                status,
                Priority.MEDIUM,
                Tier.TIER_2,
                null,
                null,
                null,
                null,
                error,
                null,
                false,
                null,
                null,
                Instant.parse("2026-11-28T03:00:00Z"));
    }

    @Test
    void a_success_answers_every_later_delivery_and_every_replay() {
        JobResult ok = result("job-1", JobStatus.SUCCEEDED, null);
        String stored = StoredAnswers.encode(ok, 0);

        assertThat(StoredAnswers.answering(stored, 0)).contains(ok);
        assertThat(StoredAnswers.answering(stored, 3)).contains(ok);
        assertThat(StoredAnswers.answering(null, 0)).as("nothing stored").isEmpty();
    }

    @Test
    void a_failure_answers_its_own_replay_but_a_later_replay_runs_the_job_again() {
        JobResult failed = result(
                "job-1", JobStatus.FAILED, new JobResult.JobError(ErrorCode.ALL_PROVIDERS_FAILED, "all failed", true));
        String stored = StoredAnswers.encode(failed, 1);

        assertThat(StoredAnswers.answering(stored, 0)).as("an older delivery").contains(failed);
        assertThat(StoredAnswers.answering(stored, 1))
                .as("a redelivery of the same replay")
                .contains(failed);
        assertThat(StoredAnswers.answering(stored, 2)).as("ops replayed it").isEmpty();
    }

    @Test
    void an_outcome_stored_before_outcomes_carried_their_replay_is_a_success() {
        JobResult ok = result("job-1", JobStatus.SUCCEEDED, null);
        assertThat(StoredAnswers.answering(dev.llmdispatch.contract.JobCodec.toJson(ok), 2))
                .contains(ok);
    }
}
