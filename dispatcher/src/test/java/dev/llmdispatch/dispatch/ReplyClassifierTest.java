package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.internal.provider.ProviderReply;
import dev.llmdispatch.dispatch.internal.resilience.Outcome;
import dev.llmdispatch.dispatch.internal.resilience.ReplyClassifier;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ReplyClassifierTest {

    private final ReplyClassifier classifier = new ReplyClassifier(ResilienceSettings.DEFAULTS);

    private static ProviderReply reply(int status, String body, Duration retryAfter) {
        var json = body == null ? null : safeTree(body);
        return new ProviderReply(status, json, body, retryAfter, null, 10);
    }

    private static JsonNode safeTree(String body) {
        try {
            return JobCodec.readTree(body.getBytes());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Outcome chat(int status, String body) {
        return classifier.classify(reply(status, body, null), JobKind.CHAT);
    }

    @Test
    void takes_a_well_formed_answer_and_retries_a_malformed_one() {
        assertThat(chat(200, "{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}"))
                .isInstanceOf(Outcome.Success.class);
        assertThat(chat(200, "<html>502 Bad Gateway</html>")).isEqualTo(new Outcome.Retry("malformed_response"));
        assertThat(chat(200, "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"Hal"))
                .isEqualTo(new Outcome.Retry("malformed_response"));
        assertThat(chat(200, "{\"id\":\"x\"}")).isEqualTo(new Outcome.Retry("malformed_response"));
        assertThat(classifier.classify(reply(200, "{\"data\":[]}", null), JobKind.EMBEDDING))
                .isInstanceOf(Outcome.Success.class);
    }

    @Test
    void retries_passing_faults() {
        for (int status : new int[] {408, 409, 500, 502, 503, 504}) {
            assertThat(chat(status, "{}")).isInstanceOf(Outcome.Retry.class);
        }
        assertThat(classifier.classify(
                        new ProviderReply(0, null, null, null, "timeout after PT5S", 5000), JobKind.CHAT))
                .isEqualTo(new Outcome.Retry("timeout"));
        assertThat(classifier.classify(
                        new ProviderReply(0, null, null, null, "connection error: refused", 1), JobKind.CHAT))
                .isEqualTo(new Outcome.Retry("connection_error"));
    }

    @Test
    void understands_each_providers_429() {
        Outcome nvidia = classifier.classify(
                reply(429, "{\"status\":429,\"title\":\"Too Many Requests\"}", Duration.ofMillis(2500)), JobKind.CHAT);
        assertThat(nvidia).isEqualTo(new Outcome.RateLimited("rate_limited", Duration.ofMillis(2500)));
        Outcome siliconflow = chat(
                429,
                "{\"message\":\"Request was rejected due to rate limiting. Details: TPM limit "
                        + "reached.\",\"data\":null}");
        assertThat(siliconflow).isEqualTo(new Outcome.RateLimited("rate_limited", Duration.ofSeconds(1)));
        Outcome quota = chat(
                429,
                "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":"
                        + "\"insufficient_quota\",\"code\":\"insufficient_quota\"}}");
        assertThat(quota).isInstanceOf(Outcome.QuotaExhausted.class);
        Outcome capped = classifier.classify(reply(429, "{}", Duration.ofHours(2)), JobKind.CHAT);
        assertThat(capped).isEqualTo(new Outcome.RateLimited("rate_limited", Duration.ofSeconds(30)));
    }

    @Test
    void disables_on_refused_keys_and_moves_on_for_model_or_context() {
        assertThat(chat(401, "{\"error\":{\"message\":\"bad key\"}}"))
                .isEqualTo(new Outcome.Unauthorized("unauthorized"));
        assertThat(chat(403, null)).isEqualTo(new Outcome.Unauthorized("unauthorized"));
        assertThat(chat(404, "{\"error\":{\"code\":\"model_not_found\"}}")).isInstanceOf(Outcome.NextProvider.class);
        assertThat(chat(
                        400,
                        "{\"error\":{\"code\":\"context_length_exceeded\",\"message\":\"This model's maximum "
                                + "context length is 8192 tokens\"}}"))
                .isEqualTo(new Outcome.NextProvider("context_length_exceeded"));
    }

    @Test
    void rejects_what_the_provider_refuses_as_a_bad_request() {
        Outcome bad = chat(400, "{\"error\":{\"message\":\"messages must be a non-empty array\"}}");
        assertThat(bad).isInstanceOf(Outcome.Rejected.class);
        assertThat(((Outcome.Rejected) bad).message()).contains("HTTP 400").contains("messages must be");
        assertThat(chat(422, "not json at all")).isInstanceOf(Outcome.Rejected.class);
    }
}
