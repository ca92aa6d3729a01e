package dev.llmdispatch.contract;

import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * A record no provider could serve, or that could not be read, kept on the dead-letter topic for replay.
 *
 * @param job         the original job as received (null when UNPARSABLE)
 * @param raw         the record value, base64, when UNPARSABLE
 * @param replayCount how many times this job was replayed before this failure
 */
public record DeadLetter(
        Integer v,
        DeadLetterReason reason,
        String message,
        JsonNode job,
        String raw,
        Priority priority,
        List<JobResult.Attempt> attempts,
        Source source,
        int replayCount,
        Instant failedAt) {

    public DeadLetter {
        v = v == null ? Job.VERSION : v;
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
        job = JobCodec.orNull(job);
    }

    /** Where the record was read from. */
    public record Source(String topic, int partition, long offset) {}

    /** A dead letter for {@code reason}, saying {@code message}; the rest is set by name (absent: null, none, zero). */
    public static Builder builder(DeadLetterReason reason, String message) {
        return new Builder(reason, message);
    }

    /** A builder holding this dead letter, to change some of it. */
    public Builder toBuilder() {
        Builder b = new Builder(reason, message);
        b.v = v;
        b.job = job;
        b.raw = raw;
        b.priority = priority;
        b.attempts = attempts;
        b.source = source;
        b.replayCount = replayCount;
        b.failedAt = failedAt;
        return b;
    }

    /** Builds a {@link DeadLetter} by field name. */
    public static final class Builder {
        private Integer v = Job.VERSION;
        private final DeadLetterReason reason;
        private String message;
        private JsonNode job;
        private String raw;
        private Priority priority;
        private List<JobResult.Attempt> attempts = List.of();
        private Source source;
        private int replayCount;
        private Instant failedAt;

        private Builder(DeadLetterReason reason, String message) {
            this.reason = reason;
            this.message = message;
        }

        public Builder message(String message) {
            this.message = message;
            return this;
        }

        /** The job as it was received (null when there is none to keep). */
        public Builder job(JsonNode job) {
            this.job = job;
            return this;
        }

        /** The record's value, base64, when there is no job to keep. */
        public Builder raw(String raw) {
            this.raw = raw;
            return this;
        }

        public Builder priority(Priority priority) {
            this.priority = priority;
            return this;
        }

        public Builder attempts(List<JobResult.Attempt> attempts) {
            this.attempts = attempts;
            return this;
        }

        /** Where the record was, and how many times it was replayed before. */
        public Builder from(Source source, int replayCount) {
            this.source = source;
            this.replayCount = replayCount;
            return this;
        }

        public Builder failedAt(Instant failedAt) {
            this.failedAt = failedAt;
            return this;
        }

        public DeadLetter build() {
            return new DeadLetter(v, reason, message, job, raw, priority, attempts, source, replayCount, failedAt);
        }
    }
}
