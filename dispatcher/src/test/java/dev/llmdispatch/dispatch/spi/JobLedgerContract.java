package dev.llmdispatch.dispatch.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.spi.JobLedger.Held;
import dev.llmdispatch.dispatch.spi.JobLedger.Renewal;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Claims and stored outcomes, one set of cases for every {@link JobLedger}: Redis (the {@code claim_*} scripts, one
 * server and a Cluster) and the in-memory ledger the rules' unit tests use. One token holds a job's claim until it
 * gives it up or its lease lapses; a finish stores the outcome whoever holds the claim by then, and drops the
 * job's failed calls.
 */
public abstract class JobLedgerContract {

    private static final Duration LONG = Duration.ofSeconds(30);
    private static final Duration SHORT = Duration.ofMillis(300);

    /** A worker's view of the ledger; every view of one test shares its state. */
    protected abstract JobLedger view();

    /** The failed calls of the same store as {@link #view()}'s. */
    protected abstract AttemptLog attempts();

    private final String job = "job-" + UUID.randomUUID();

    @Test
    void one_token_holds_a_claim_until_it_gives_it_up() {
        JobLedger one = view();
        JobLedger two = view();
        assertThat(one.start(job, "a", LONG).claimed()).isTrue();
        assertThat(two.start(job, "b", LONG).claimed()).as("another token").isFalse();
        assertThat(one.start(job, "a2", LONG).claimed())
                .as("another run on the same worker")
                .isFalse();
        assertThat(two.start("other-" + job, "b", LONG).claimed())
                .as("claims are per job")
                .isTrue();

        assertThat(two.release(job, "b")).as("not its claim").isFalse();
        assertThat(two.start(job, "b", LONG).claimed()).isFalse();
        assertThat(one.release(job, "a")).isTrue();
        assertThat(two.start(job, "b", LONG).claimed())
                .as("given up: the next run takes it")
                .isTrue();
    }

    @Test
    void a_claim_lapses_unless_renewed_and_its_lapse_is_told_to_its_holder() {
        JobLedger one = view();
        JobLedger two = view();
        assertThat(one.start(job, "a", SHORT).claimed()).isTrue();
        assertThat(one.start("kept-" + job, "a", SHORT).claimed()).isTrue();
        assertThat(one.renew(List.of(new Held("kept-" + job, "a")), LONG)).containsExactly(Renewal.RENEWED);

        await().atMost(Duration.ofSeconds(5))
                .until(() -> two.start(job, "b", LONG).claimed());
        assertThat(two.start("kept-" + job, "b", LONG).claimed()).as("renewed").isFalse();
        assertThat(one.renew(List.of(new Held(job, "a"), new Held("kept-" + job, "a")), LONG))
                .as("in order, one each")
                .containsExactly(Renewal.GONE, Renewal.RENEWED);
        assertThat(one.release(job, "a")).as("the new holder's claim stays").isFalse();
        assertThat(one.start(job, "c", LONG).claimed()).isFalse();
    }

    @Test
    void a_start_reads_the_stored_outcome_and_only_the_claiming_run_reads_the_failed_calls() {
        JobResult.Attempt refused = new JobResult.Attempt("nvidia-1", 503, "busy", 12);
        attempts().failed(job, refused);
        await().atMost(Duration.ofSeconds(5)).until(() -> !attempts().load(job).isEmpty());
        JobLedger one = view();
        JobLedger two = view();

        JobLedger.Found first = one.start(job, "a", LONG);
        assertThat(first.claimed()).isTrue();
        assertThat(first.stored()).isNull();
        assertThat(first.before()).containsExactly(refused);
        JobLedger.Found waiting = two.start(job, "b", LONG);
        assertThat(waiting.before()).as("read only by the run that claims").isEmpty();

        one.finish(job, "a", "the outcome", LONG);

        JobLedger.Found after = two.start(job, "b", LONG);
        assertThat(after.claimed()).as("given up with the outcome stored").isTrue();
        assertThat(after.stored()).isEqualTo("the outcome");
        assertThat(after.before()).as("dropped with the outcome").isEmpty();
        assertThat(attempts().load(job)).isEmpty();
    }

    @Test
    void a_finish_after_the_claim_was_taken_stores_the_outcome_and_leaves_the_new_claim() {
        JobLedger one = view();
        JobLedger two = view();
        assertThat(one.start(job, "a", SHORT).claimed()).isTrue();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> two.start(job, "b", LONG).claimed());
        attempts().failed(job, new JobResult.Attempt("nvidia-1", 503, "busy", 12));
        await().atMost(Duration.ofSeconds(5)).until(() -> !attempts().load(job).isEmpty());

        one.finish(job, "a", "late outcome", LONG);

        JobLedger.Found found = one.start(job, "c", LONG);
        assertThat(found.claimed()).isFalse();
        assertThat(found.stored()).isEqualTo("late outcome");
        assertThat(attempts().load(job)).as("dropped with the outcome").isEmpty();
    }

    @Test
    void a_stored_outcome_is_kept_only_as_long_as_asked() {
        JobLedger one = view();
        one.start(job, "a", LONG);
        one.finish(job, "a", "short-lived", SHORT);
        assertThat(one.start(job, "b", LONG).stored()).isEqualTo("short-lived");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> one.start(job, "c", LONG).stored() == null);
    }
}
