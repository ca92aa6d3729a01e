package dev.llmdispatch.worker.publish;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The replay rule of stored answers: a success stands for every replay, a failure only for its own and earlier ones. */
class AnswerStoreTest {

    private final AnswerStore store = AnswerStore.inMemory();

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
        store.remember(ok, 0);

        assertThat(store.find("job-1", 0)).contains(ok);
        assertThat(store.find("job-1", 3)).contains(ok);
        assertThat(store.find("job-2", 0)).isEmpty();
    }

    @Test
    void a_failure_answers_its_own_replay_but_a_later_replay_runs_the_job_again() {
        JobResult failed = result(
                "job-1", JobStatus.FAILED, new JobResult.JobError(ErrorCode.ALL_PROVIDERS_FAILED, "all failed", true));
        store.remember(failed, 1);

        assertThat(store.find("job-1", 0)).as("an older delivery").contains(failed);
        assertThat(store.find("job-1", 1)).as("a redelivery of the same replay").contains(failed);
        assertThat(store.find("job-1", 2)).as("ops replayed it").isEmpty();
    }
}
