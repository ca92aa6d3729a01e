package dev.llmdispatch.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class JobCodecTest {

    @Test
    void writes_a_result_with_the_contract_field_names() {
        JobResult result = new JobResult(
                null,
                "job-1",
                JobStatus.FAILED,
                Priority.HIGH,
                Tier.TIER_1,
                null,
                null,
                null,
                null,
                new JobResult.JobError(ErrorCode.ALL_PROVIDERS_FAILED, "boom", true),
                List.of(new JobResult.Attempt("nvidia-1", 429, "rate_limited", 83)),
                false,
                new JobResult.Timings(12, 0, 2310, 2331),
                null,
                Instant.parse("2026-11-26T07:41:03.120Z"));
        JsonNode json = JobCodec.toTree(result);
        assertThat(json.path("v").asInt()).isEqualTo(1);
        assertThat(json.path("status").asString()).isEqualTo("FAILED");
        assertThat(json.path("error").path("code").asString()).isEqualTo("ALL_PROVIDERS_FAILED");
        assertThat(json.path("error").path("retryable").asBoolean()).isTrue();
        assertThat(json.path("attempts").get(0).path("status").asInt()).isEqualTo(429);
        assertThat(json.path("timings").path("providerMs").asLong()).isEqualTo(2310);
        assertThat(json.path("completedAt").asString()).isEqualTo("2026-11-26T07:41:03.120Z");
        assertThat(JobCodec.readResult(JobCodec.toBytes(result))).isEqualTo(result);
    }

    @Test
    void writes_job_kind_in_lower_case_and_leaves_out_absent_fields() {
        JsonNode json = JobCodec.toTree(Job.embedding("e-1", "hello"));
        assertThat(json.path("kind").asString()).isEqualTo("embedding");
        assertThat(json.has("tier")).isFalse();
        assertThat(json.path("request").path("input").asString()).isEqualTo("hello");
    }

    @Test
    void reads_results_with_missing_and_unknown_fields() {
        JobResult result = JobCodec.readResult("{\"id\":\"x\",\"status\":\"SUCCEEDED\",\"newField\":1}".getBytes());
        assertThat(result.v()).isEqualTo(1);
        assertThat(result.cached()).isFalse();
        assertThat(result.attempts()).isEmpty();
    }

    @Test
    void names_what_is_wrong_with_unreadable_bytes() {
        assertThatThrownBy(() -> JobCodec.readTree("{not json".getBytes()))
                .isInstanceOf(JobCodec.UnreadableRecordException.class)
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> JobCodec.readTree(null)).hasMessage("record has no value");
    }
}
