package dev.llmdispatch.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Results and dead letters are built by field name; a builder made from one keeps every field of it. */
class OutcomeBuildersTest {

    private static final Instant AT = Instant.parse("2026-12-07T03:00:00Z");

    @Test
    void a_result_survives_its_builder_whole_and_changes_only_what_is_set() {
        JobResult full = new JobResult(
                7, // not the default version: toBuilder must keep it
                "t:job-1",
                JobStatus.SUCCEEDED,
                Priority.HIGH,
                Tier.TIER_1,
                "nvidia",
                "nvidia-1",
                "deepseek",
                JobCodec.mapper().createObjectNode().put("id", "chatcmpl-1"),
                new JobResult.JobError(ErrorCode.EXPIRED, "late", false),
                List.of(new JobResult.Attempt("hunyuan-1", 500, "server_error", 12)),
                true,
                new JobResult.Timings(1, 2, 3, 6),
                JobCodec.mapper().createObjectNode().put("batch", "nightly"),
                AT);
        assertThat(full.toBuilder().build()).isEqualTo(full);
        assertThat(full.toBuilder().priority(Priority.LOW).build())
                .isEqualTo(new JobResult(
                        7,
                        "t:job-1",
                        JobStatus.SUCCEEDED,
                        Priority.LOW,
                        Tier.TIER_1,
                        "nvidia",
                        "nvidia-1",
                        "deepseek",
                        full.response(),
                        full.error(),
                        full.attempts(),
                        true,
                        full.timings(),
                        full.metadata(),
                        AT));

        JobResult bare = JobResult.builder("t:job-2", JobStatus.REJECTED).build();
        assertThat(bare.v()).isEqualTo(Job.VERSION);
        assertThat(bare.attempts()).isEmpty();
        assertThat(bare.timings()).isEqualTo(JobResult.Timings.ZERO);
        assertThat(bare.cached()).isFalse();
        assertThat(bare.response()).isNull();
    }

    @Test
    void a_dead_letter_survives_its_builder_whole_and_changes_only_what_is_set() {
        DeadLetter full = new DeadLetter(
                7, // not the default version: toBuilder must keep it
                DeadLetterReason.ALL_PROVIDERS_FAILED,
                "every account failed",
                JobCodec.toTree(Job.chat("job-1", "hi")),
                null,
                Priority.MEDIUM,
                List.of(new JobResult.Attempt("nvidia-1", 503, "server_error", 40)),
                new DeadLetter.Source("llm.jobs.medium", 3, 1042),
                2,
                AT);
        assertThat(full.toBuilder().build()).isEqualTo(full);
        DeadLetter cut = full.toBuilder().job(null).raw("eyJpZCI6").build();
        assertThat(cut.job()).isNull();
        assertThat(cut.raw()).isEqualTo("eyJpZCI6");
        assertThat(cut.source()).isEqualTo(full.source());
        assertThat(cut.replayCount()).isEqualTo(2);
        assertThat(cut.attempts()).isEqualTo(full.attempts());

        DeadLetter bare =
                DeadLetter.builder(DeadLetterReason.UNPARSABLE, "not JSON").build();
        assertThat(bare.v()).isEqualTo(Job.VERSION);
        assertThat(bare.attempts()).isEmpty();
        assertThat(bare.replayCount()).isZero();
    }
}
