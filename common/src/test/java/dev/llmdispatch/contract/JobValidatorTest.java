package dev.llmdispatch.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class JobValidatorTest {

    private final JobValidator validator = JobValidator.defaults();

    private JobValidator.Check check(String json) {
        return validator.check(JobCodec.readTree(json.getBytes()));
    }

    private JobValidator.Invalid invalid(String json) {
        JobValidator.Check check = check(json);
        assertThat(check).isInstanceOf(JobValidator.Invalid.class);
        return (JobValidator.Invalid) check;
    }

    @Test
    void accepts_the_contract_example() {
        JobValidator.Check check = check("""
                {"v":1,"id":"job-2f9c1e","kind":"chat","tier":"TIER_1","thinking":true,
                 "request":{"messages":[{"role":"user","content":"Prove that ..."}],"max_tokens":2048},
                 "deadline":"2026-11-26T08:00:00Z","replyTo":"llm.results","cache":false,"tenant":"openclaw",
                 "metadata":{"session":"s-17"},"someFutureField":42}
                """);
        assertThat(check).isInstanceOf(JobValidator.Valid.class);
        Job job = ((JobValidator.Valid) check).job();
        assertThat(job.tier()).isEqualTo(Tier.TIER_1);
        assertThat(job.kind()).isEqualTo(JobKind.CHAT);
        assertThat(job.metadata().path("session").asString()).isEqualTo("s-17");
        assertThat(job.deadline()).hasToString("2026-11-26T08:00:00Z");
    }

    @Test
    void defaults_kind_to_chat_and_version_to_1() {
        Job job = ((JobValidator.Valid)
                        check("{\"id\":\"a\",\"request\":{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}"))
                .job();
        assertThat(job.kind()).isEqualTo(JobKind.CHAT);
        assertThat(job.v()).isEqualTo(1);
    }

    @Test
    void rejects_job_without_id_and_says_so() {
        JobValidator.Invalid invalid = invalid("{\"request\":{\"messages\":[{\"role\":\"user\"}]}}");
        assertThat(invalid.readableId()).isNull();
        assertThat(invalid.message()).contains("id is required");
    }

    @Test
    void rejects_a_bad_id_but_keeps_it_readable() {
        JobValidator.Invalid invalid = invalid("{\"id\":\"a b!\",\"request\":{\"messages\":[{\"role\":\"user\"}]}}");
        assertThat(invalid.readableId()).isEqualTo("a b!");
        assertThat(invalid.message()).contains("id must be 1-128 chars of [A-Za-z0-9._:-], but was \"a b!\"");
        assertThat(invalid("{\"id\":\"" + "x".repeat(129) + "\",\"request\":{\"messages\":[{\"role\":\"user\"}]}}")
                        .violations())
                .extracting(Violation::field)
                .containsExactly("id");
    }

    @Test
    void streams_only_chat_jobs_and_only_with_a_boolean() {
        assertThat(
                        check(
                                "{\"id\":\"s1\",\"request\":{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}"))
                .isInstanceOf(JobValidator.Valid.class);
        assertThat(invalid("{\"id\":\"s2\",\"request\":{\"stream\":\"yes\",\"messages\":[{\"role\":\"user\"}]}}")
                        .violations())
                .extracting(Violation::field)
                .containsExactly("request.stream");
        assertThat(invalid("{\"id\":\"s3\",\"kind\":\"embedding\",\"request\":{\"stream\":true,\"input\":\"x\"}}")
                        .violations())
                .extracting(Violation::rule)
                .containsExactly("is for chat jobs only");
        assertThat(check("{\"id\":\"s4\",\"request\":{\"stream\":false,\"messages\":[{\"role\":\"user\"}]}}"))
                .isInstanceOf(JobValidator.Valid.class);
        // a stream_options that is not an object made the worker fail on the job for ever (it could not add
        // include_usage to it): rejected up front now
        assertThat(invalid("{\"id\":\"s5\",\"request\":{\"stream\":true,\"stream_options\":\"x\","
                                + "\"messages\":[{\"role\":\"user\"}]}}")
                        .message())
                .contains("request.stream_options must be an object when given");
        assertThat(check("{\"id\":\"s6\",\"request\":{\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                        + "\"messages\":[{\"role\":\"user\"}]}}"))
                .isInstanceOf(JobValidator.Valid.class);
    }

    @Test
    void rejects_metadata_over_4_KiB_naming_its_size() {
        String big = "{\"id\":\"m1\",\"request\":{\"messages\":[{\"role\":\"user\"}]},\"metadata\":{\"blob\":\""
                + "x".repeat(5000) + "\"}}";
        JobValidator.Invalid invalid = invalid(big);
        assertThat(invalid.message()).contains("metadata must be at most 4096 bytes of JSON, but was 5011 bytes");
        assertThat(invalid.readableId()).isEqualTo("m1");
    }

    @Test
    void rejects_a_reply_topic_that_is_a_job_or_dead_letter_topic_or_not_allowed() {
        for (String topic : List.of("llm.jobs.high", "llm.jobs.low", "llm.jobs.dlt")) {
            JobValidator.Invalid invalid = invalid(
                    "{\"id\":\"r1\",\"replyTo\":\"" + topic + "\",\"request\":{\"messages\":[{\"role\":\"user\"}]}}");
            assertThat(invalid.message()).contains("replyTo must not be a job or dead-letter topic");
            assertThat(invalid.usableReplyTo()).isNull();
        }
        assertThat(invalid("{\"id\":\"r2\",\"replyTo\":\"elsewhere\",\"request\":{\"messages\":[{\"role\":\"user\"}]}}")
                        .message())
                .contains("must match dispatch.reply.allowed-topics [llm.results*]");
        assertThat(
                        check(
                                "{\"id\":\"r3\",\"replyTo\":\"llm.results.team-a\",\"request\":{\"messages\":[{\"role\":\"user\"}]}}"))
                .isInstanceOf(JobValidator.Valid.class);
    }

    @Test
    void reports_every_broken_rule_at_once() {
        JobValidator.Invalid invalid = invalid("""
                {"id":"z","kind":"image","tier":"TIER_9","thinking":"yes","deadline":"tomorrow","request":[1]}
                """);
        assertThat(invalid.violations())
                .extracting(Violation::field)
                .containsExactlyInAnyOrder("kind", "tier", "thinking", "request", "deadline");
    }

    @Test
    void checks_the_request_by_kind() {
        assertThat(invalid("{\"id\":\"c\",\"request\":{\"messages\":[]}}").message())
                .contains("request.messages must be a non-empty array");
        assertThat(invalid("{\"id\":\"e\",\"kind\":\"embedding\",\"request\":{\"input\":\"\"}}")
                        .message())
                .contains("request.input must be a non-empty string or array");
        assertThat(check("{\"id\":\"e2\",\"kind\":\"embedding\",\"request\":{\"input\":[\"a\",\"b\"]}}"))
                .isInstanceOf(JobValidator.Valid.class);
    }

    @Test
    void rejects_a_record_that_is_not_an_object() {
        JsonNode array = JobCodec.readTree("[1,2]".getBytes());
        assertThat(((JobValidator.Invalid) validator.check(array)).message()).contains("job must be a JSON object");
    }

    @Test
    void shortens_huge_bad_values_in_messages() {
        JobValidator.Invalid invalid =
                invalid("{\"id\":\"" + "é".repeat(300) + "\",\"request\":{\"messages\":[{\"role\":\"u\"}]}}");
        assertThat(invalid.message().length()).isLessThan(300);
    }
}
