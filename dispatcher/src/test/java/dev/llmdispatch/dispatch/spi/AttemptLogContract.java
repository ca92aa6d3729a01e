package dev.llmdispatch.dispatch.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.JobResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The attempts of jobs under way, one set of cases for every {@link AttemptLog}: Redis (written asynchronously) and
 * the in-memory log the rules' unit tests use. What one worker wrote, another reads, in order, until the job ends.
 */
public abstract class AttemptLogContract {

    /** A worker's view of the log; every view of one test shares its state. */
    protected abstract AttemptLog view();

    private final String job = "job-" + UUID.randomUUID();

    @Test
    void a_jobs_failed_calls_are_read_by_the_next_worker_in_order_until_it_ends() {
        AttemptLog first = view();
        AttemptLog next = view();
        assertThat(next.load(job)).isEmpty();
        JobResult.Attempt a = new JobResult.Attempt("nvidia-1", 503, "server_error", 12);
        JobResult.Attempt b = new JobResult.Attempt("nvidia-1", null, "timeout", 5000);
        first.failed(job, a);
        first.failed(job, b);
        first.failed("other-" + job, a);
        await().atMost(Duration.ofSeconds(3)).until(() -> next.load(job).size() == 2);
        assertThat(next.load(job)).containsExactly(a, b);

        // in the order they were written, however fast they come (Redis: appends on several connections)
        String many = "many-" + job;
        List<JobResult.Attempt> written = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            JobResult.Attempt call = new JobResult.Attempt("acct-" + (i % 3), 500, "server_error", i);
            written.add(call);
            first.failed(many, call);
        }
        await().atMost(Duration.ofSeconds(3)).until(() -> next.load(many).size() == written.size());
        assertThat(next.load(many)).containsExactlyElementsOf(written);
        next.ended(many);

        next.ended(job);
        await().atMost(Duration.ofSeconds(3)).until(() -> first.load(job).isEmpty());
        assertThat(first.load("other-" + job)).containsExactly(a);
    }
}
