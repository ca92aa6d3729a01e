package dev.llmdispatch.dispatch.internal.provider;

import java.time.Duration;
import tools.jackson.databind.JsonNode;

/**
 * What one provider call came back with.
 *
 * @param status         HTTP status, or 0 when no answer came (timeout, connection error)
 * @param json           the body parsed as JSON, or null when it was not JSON
 * @param bodyExcerpt    the start of the body as text, for error messages
 * @param retryAfter     the provider's Retry-After / retry-after-ms, or null
 * @param transportError what went wrong when no answer came, or null
 * @param millis         how long the call took
 * @param written        whether the request left for the provider (its headers were written): false when the
 *                       connection failed first, or when the send check refused it at the last moment
 */
public record ProviderReply(
        int status,
        JsonNode json,
        String bodyExcerpt,
        Duration retryAfter,
        String transportError,
        long millis,
        boolean written) {

    /** The error of a request the send check held back: it never reached the provider. */
    public static final String NOT_SENT =
            "not sent: the grant was older than the window guard when the request " + "was about to be written";

    public ProviderReply(
            int status, JsonNode json, String bodyExcerpt, Duration retryAfter, String transportError, long millis) {
        this(status, json, bodyExcerpt, retryAfter, transportError, millis, true);
    }

    /** Held back by the send check: nothing reached the provider, the job needs fresh capacity. */
    public boolean heldBack() {
        return NOT_SENT.equals(transportError);
    }

    /**
     * No answer came although the request was written (a timeout, a connection lost midway): the provider may still
     * be working on it.
     */
    public boolean mayStillRun() {
        return !answered() && written;
    }

    public boolean answered() {
        return status > 0;
    }

    /** A 2xx answer whose body is a JSON object. */
    public boolean usable() {
        return status >= 200 && status < 300 && json != null && json.isObject();
    }

    /** A short description for attempts and messages: never the request, never a key. */
    public String describe() {
        if (!answered()) {
            return transportError;
        }
        if (status >= 200 && status < 300 && !usable()) {
            return "unreadable body: " + bodyExcerpt;
        }
        return "HTTP " + status + (bodyExcerpt == null || bodyExcerpt.isEmpty() ? "" : ": " + bodyExcerpt);
    }

    /** The tokens an answer says it used ({@code usage.total_tokens}, else prompt + completion), or -1 if it does not. */
    public static long usedTokens(JsonNode body) {
        JsonNode usage = body == null ? null : body.get("usage");
        if (usage == null || !usage.isObject()) {
            return -1;
        }
        if (usage.path("total_tokens").isNumber()) {
            return usage.get("total_tokens").asLong();
        }
        if (usage.path("prompt_tokens").isNumber()) {
            return usage.get("prompt_tokens").asLong()
                    + usage.path("completion_tokens").asLong(0);
        }
        return -1;
    }
}
