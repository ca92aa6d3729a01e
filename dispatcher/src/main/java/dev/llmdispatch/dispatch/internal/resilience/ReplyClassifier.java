package dev.llmdispatch.dispatch.internal.resilience;

import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.internal.provider.ProviderReply;
import java.time.Duration;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * Classifies every provider answer the way the OpenAI SDK and LiteLLM do, understanding the error bodies of
 * OpenAI ({@code {"error":{"message","type","code"}}}), NVIDIA ({@code {"status","title","detail"}}) and
 * SiliconFlow ({@code {"code","message","data":null}}). A non-JSON or truncated body is a passing fault,
 * never a crash.
 */
public final class ReplyClassifier {

    private final ResilienceSettings settings;

    public ReplyClassifier(ResilienceSettings settings) {
        this.settings = settings;
    }

    public Outcome classify(ProviderReply reply, JobKind kind) {
        if (!reply.answered()) {
            return new Outcome.Retry(reply.transportError().startsWith("timeout") ? "timeout" : "connection_error");
        }
        int status = reply.status();
        if (status >= 200 && status < 300) {
            return usable(reply.json(), kind)
                    ? new Outcome.Success(reply.json())
                    : new Outcome.Retry("malformed_response");
        }
        String text = errorText(reply).toLowerCase(Locale.ROOT);
        if (status == 429) {
            if (text.contains("insufficient_quota")
                    || text.contains("quota")
                    || text.contains("tpd")
                    || text.contains("rpd")) {
                return new Outcome.QuotaExhausted("quota_exhausted", cap(reply.retryAfter(), settings.quotaCooldown()));
            }
            return new Outcome.RateLimited("rate_limited", cap(reply.retryAfter(), settings.rateLimitCooldown()));
        }
        if (status == 401 || status == 403) {
            return new Outcome.Unauthorized("unauthorized");
        }
        if (status == 408 || status == 409 || status >= 500) {
            return new Outcome.Retry(status >= 500 ? "server_error" : status == 408 ? "timeout" : "conflict");
        }
        if (status == 404) {
            return new Outcome.NextProvider("model_not_found");
        }
        if (text.contains("context_length")
                || text.contains("context length")
                || text.contains("too long")
                || text.contains("maximum context")) {
            return new Outcome.NextProvider("context_length_exceeded");
        }
        return new Outcome.Rejected("bad_request", reply.describe());
    }

    private Duration cap(Duration retryAfter, Duration fallback) {
        if (retryAfter == null || retryAfter.isNegative() || retryAfter.isZero()) {
            return fallback;
        }
        return retryAfter.compareTo(settings.retryAfterCap()) > 0 ? settings.retryAfterCap() : retryAfter;
    }

    /** A 2xx body we can hand back: a JSON object shaped like the kind's answer. */
    private static boolean usable(JsonNode json, JobKind kind) {
        if (json == null || !json.isObject()) {
            return false;
        }
        return kind == JobKind.EMBEDDING
                ? json.path("data").isArray()
                : json.path("choices").isArray();
    }

    /** The error's code and message, whatever the provider's body shape. */
    static String errorText(ProviderReply reply) {
        JsonNode json = reply.json();
        if (json == null) {
            return reply.bodyExcerpt() == null ? "" : reply.bodyExcerpt();
        }
        JsonNode error = json.path("error");
        StringBuilder sb = new StringBuilder();
        if (error.isObject()) {
            sb.append(error.path("code").asString(""))
                    .append(' ')
                    .append(error.path("type").asString(""))
                    .append(' ')
                    .append(error.path("message").asString(""));
        } else if (error.isString()) {
            sb.append(error.stringValue());
        }
        sb.append(' ')
                .append(json.path("title").asString(""))
                .append(' ')
                .append(json.path("detail").asString(""))
                .append(' ')
                .append(json.path("message").asString(""));
        return sb.toString();
    }
}
