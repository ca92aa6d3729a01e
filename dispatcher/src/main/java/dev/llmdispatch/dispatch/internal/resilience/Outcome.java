package dev.llmdispatch.dispatch.internal.resilience;

import java.time.Duration;
import tools.jackson.databind.JsonNode;

/** What one provider answer means for the job and the account; see {@link ReplyClassifier}. */
public sealed interface Outcome {

    /** Short name for attempts and metrics, e.g. {@code server_error}. */
    String error();

    /** A usable answer. */
    record Success(JsonNode body) implements Outcome {
        @Override
        public String error() {
            return null;
        }
    }

    /** A passing fault (5xx, timeout, connection, 408/409, malformed body): retry, on the same account first. */
    record Retry(String error) implements Outcome {}

    /** The account is rate-limited: it rests for {@code cooldown} fleet-wide, other accounts take the work. */
    record RateLimited(String error, Duration cooldown) implements Outcome {}

    /** The account's quota is spent: it rests for a long while; switch account. */
    record QuotaExhausted(String error, Duration cooldown) implements Outcome {}

    /** The key was refused (401/403): disable the account fleet-wide and alert; never retried. */
    record Unauthorized(String error) implements Outcome {}

    /** This provider cannot serve the job (unknown model, context too long): go to the next provider. */
    record NextProvider(String error) implements Outcome {}

    /** The provider refused the request itself: the job is bad; no other provider is tried. */
    record Rejected(String error, String message) implements Outcome {}
}
