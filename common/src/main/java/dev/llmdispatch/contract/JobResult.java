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

    /** A result of job {@code id} ending {@code status}; the rest is set by name (absent: null, none, zero). */
    public static Builder builder(String id, JobStatus status) {
        return new Builder(id, status);
    }

    /** A builder holding this result, to change some of it. */
    public Builder toBuilder() {
        Builder b = new Builder(id, status);
        b.v = v;
        b.priority = priority;
        b.tier = tier;
        b.provider = provider;
        b.account = account;
        b.model = model;
        b.response = response;
        b.error = error;
        b.attempts = attempts;
        b.cached = cached;
        b.timings = timings;
        b.metadata = metadata;
        b.completedAt = completedAt;
        return b;
    }

    /** Builds a {@link JobResult} by field name. */
    public static final class Builder {
        private Integer v = Job.VERSION;
        private final String id;
        private JobStatus status;
        private Priority priority;
        private Tier tier;
        private String provider;
        private String account;
        private String model;
        private JsonNode response;
        private JobError error;
        private List<Attempt> attempts = List.of();
        private boolean cached;
        private Timings timings = Timings.ZERO;
        private JsonNode metadata;
        private Instant completedAt;

        private Builder(String id, JobStatus status) {
            this.id = id;
            this.status = status;
        }

        public Builder status(JobStatus status) {
            this.status = status;
            return this;
        }

        public Builder priority(Priority priority) {
            this.priority = priority;
            return this;
        }

        public Builder tier(Tier tier) {
            this.tier = tier;
            return this;
        }

        /** Which provider, account and model answered. */
        public Builder servedBy(String provider, String account, String model) {
            this.provider = provider;
            this.account = account;
            this.model = model;
            return this;
        }

        public Builder response(JsonNode response) {
            this.response = response;
            return this;
        }

        public Builder error(JobError error) {
            this.error = error;
            return this;
        }

        public Builder attempts(List<Attempt> attempts) {
            this.attempts = attempts;
            return this;
        }

        public Builder cached(boolean cached) {
            this.cached = cached;
            return this;
        }

        public Builder timings(Timings timings) {
            this.timings = timings;
            return this;
        }

        public Builder metadata(JsonNode metadata) {
            this.metadata = metadata;
            return this;
        }

        public Builder completedAt(Instant completedAt) {
            this.completedAt = completedAt;
            return this;
        }

        public JobResult build() {
            return new JobResult(
                    v,
                    id,
                    status,
                    priority,
                    tier,
                    provider,
                    account,
                    model,
                    response,
                    error,
                    attempts,
                    cached,
                    timings,
                    metadata,
                    completedAt);
        }
    }
}
