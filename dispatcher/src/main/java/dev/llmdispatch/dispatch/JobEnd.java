package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.JobResult;
import java.time.Duration;

/**
 * How one run of a job ended ({@link JobRun#run}): what the caller writes for it (a result, a dead letter), or why it
 * writes nothing yet.
 */
public sealed interface JobEnd {

    /**
     * The job ended on this run with a result: {@link Answered} or {@link Failed}. The result was stored for the
     * deliveries that come after, and the job's claim given up with it, unless {@code stored} is false (the store
     * stayed away): then a later delivery may run the job again.
     */
    sealed interface Ended extends JobEnd {
        JobResult result();

        boolean stored();
    }

    /** A provider (or the cache) answered, and the answer fits where it is written. */
    record Answered(JobResult result, boolean stored) implements Ended {}

    /**
     * The job failed, expired, its tenant's budget was spent, or its answer was too large to be written.
     *
     * @param deadLetter why it is kept for replay (every provider failed, emergency, a budget spent), or null when it
     *                   is not
     * @param why        what went wrong, for the dead letter and the logs
     */
    record Failed(JobResult result, boolean stored, DeadLetterReason deadLetter, String why) implements Ended {}

    /**
     * The job was answered before (a producer's retry, a redelivery, a replay of a success): its stored result, to be
     * written again with this delivery's priority and metadata, marked {@code cached}. No provider was asked.
     */
    record AnsweredBefore(JobResult result) implements JobEnd {}

    /** Its tenant spent a budget that renews within {@code renewsIn}: the job waits, unfinished, and runs then. */
    record Held(Duration renewsIn) implements JobEnd {}

    /** Its delivery moved elsewhere (a partition reassigned) before it reached a provider: the new owner runs it. */
    record HandedOver() implements JobEnd {}
}
