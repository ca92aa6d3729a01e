package dev.llmdispatch.contract;

import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The one terminal answer to a job, published on its reply topic.
 *
 * @param response the provider's body as received, when SUCCEEDED
 * @param error    why it did not succeed, otherwise
 * @param attempts every provider attempt that did not produce the response, in order
 */
public record JobResult(
        Integer v,
        String id,
        JobStatus status,
        Priority priority,
        Tier tier,
        String provider,
        String account,
        String model,
        JsonNode response,
        JobError error,
        List<Attempt> attempts,
        boolean cached,
        Timings timings,
        JsonNode metadata,
        Instant completedAt) {

    public JobResult {
        v = v == null ? Job.VERSION : v;
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
        response = JobCodec.orNull(response);
        metadata = JobCodec.orNull(metadata);
    }

    /** {@code error} of a result that did not succeed. */
    public record JobError(ErrorCode code, String message, boolean retryable) {}

    /** One call to a provider account. {@code status} is the HTTP status, or null when none came back. */
    public record Attempt(String account, Integer status, String error, long ms) {}

    /** Where the job's time went, in milliseconds. */
    public record Timings(long queuedMs, long waitMs, long providerMs, long totalMs) {
        public static final Timings ZERO = new Timings(0, 0, 0, 0);
    }

    public boolean succeeded() {
        return status == JobStatus.SUCCEEDED;
    }
}
