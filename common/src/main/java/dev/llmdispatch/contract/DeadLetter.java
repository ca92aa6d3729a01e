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
}
