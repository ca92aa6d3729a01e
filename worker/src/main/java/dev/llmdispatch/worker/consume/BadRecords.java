package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.JobValidator;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Violation;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.worker.observe.FleetTraffic;
import dev.llmdispatch.worker.observe.Metrics;
import dev.llmdispatch.worker.publish.OutcomeRecords;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Records that are not jobs to run, and what becomes of them: an unreadable record becomes an UNPARSABLE dead letter;
 * an invalid job (the contract's rules, the size limit) a REJECTED result, when its id can be read, and an INVALID_JOB
 * dead letter; a job whose outcome can never be written an UNDELIVERABLE dead letter. Nothing here throws for bad
 * input.
 */
final class BadRecords {

    private static final Logger log = LoggerFactory.getLogger(BadRecords.class);

    private final DispatchSettings settings;
    private final JobValidator validator;
    private final OutcomeRecords records;
    private final Clock clock;
    private final Metrics metrics;
    private final FleetTraffic traffic;

    BadRecords(
            DispatchSettings settings,
            JobValidator validator,
            OutcomeRecords records,
            Clock clock,
            Metrics metrics,
            FleetTraffic traffic) {
        this.settings = settings;
        this.validator = validator;
        this.records = records;
        this.clock = clock;
        this.metrics = metrics;
        this.traffic = traffic;
    }

    /** The job in the work's record; null when it holds none that may run, and then {@code out} has its outcome. */
    Job read(PolledJob work, List<ProducerRecord<String, byte[]>> out) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        byte[] value = record.value();
        JsonNode tree;
        try {
            tree = JobCodec.readTree(value);
        } catch (JobCodec.UnreadableRecordException e) {
            deadLetterUnparsable(work, e.getMessage(), out);
            return null;
        }
        JobValidator.Check check = validator.check(tree);
        if (value.length > settings.maxJobBytes()) {
            check = withViolation(
                    check,
                    tree,
                    Violation.of(
                            "record",
                            "must be at most " + settings.maxJobBytes() + " bytes (dispatch.max-job-bytes)",
                            value.length + " bytes"));
        }
        if (check instanceof JobValidator.Invalid invalid) {
            reject(work, invalid, out);
            return null;
        }
        return ((JobValidator.Valid) check).job();
    }

    /**
     * The records that replace an outcome that can never be written: a dead letter with the job (so that it is listed
     * by its id and can be replayed once its reply topic can be written), its partition and offset and why; the job's
     * outcome stays in the answer store by job id, and a replay is answered from it.
     */
    List<ProducerRecord<String, byte[]>> undeliverable(PolledJob work, Throwable e) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        JsonNode job = null;
        try {
            job = JobCodec.readTree(record.value());
        } catch (RuntimeException unreadable) {
            // no job to keep or name
        }
        String jobId = job == null ? null : job.path("id").asString(null);
        log.error(
                "job {} at {}@{}: its outcome cannot be written ({}); dead-lettered as UNDELIVERABLE, not run again",
                jobId,
                work.partition(),
                record.offset(),
                e.getMessage());
        metrics.deadLettered(DeadLetterReason.UNDELIVERABLE);
        return List.of(records.deadLetter(
                jobId,
                records.fitting(
                        deadLetter(
                                        work,
                                        DeadLetterReason.UNDELIVERABLE,
                                        "the job's outcome could not be written: " + e.getMessage(),
                                        clock.instant())
                                .job(job)
                                .build(),
                        record.value())));
    }

    /**
     * The records of a job the worker failed on itself {@code failures} times: a dead letter with the job and the error
     * ({@code PROCESSING_FAILED}, replayable once the cause is fixed) and, when the job can be read, a FAILED result
     * saying so, so that its caller is not left waiting.
     */
    List<ProducerRecord<String, byte[]>> processingFailed(PolledJob work, RuntimeException e, int failures) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        Instant now = clock.instant();
        JsonNode tree = null;
        try {
            tree = JobCodec.readTree(record.value());
        } catch (RuntimeException unreadable) {
            // it was read before: it cannot be unreadable now, but nothing here may throw
        }
        Job job = tree == null ? null : validator.check(tree) instanceof JobValidator.Valid valid ? valid.job() : null;
        String message = "the worker failed on this job " + failures + " times, the last with " + e
                + "; replay it once the cause is fixed";
        log.error("job {} at {}@{}: {}", job == null ? null : job.id(), work.partition(), record.offset(), message, e);
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(2);
        metrics.deadLettered(DeadLetterReason.PROCESSING_FAILED);
        out.add(records.deadLetter(
                job == null ? null : job.id(),
                records.fitting(
                        deadLetter(work, DeadLetterReason.PROCESSING_FAILED, message, now)
                                .job(tree)
                                .build(),
                        record.value())));
        if (job != null) {
            JobResult result = records.fitting(JobResult.builder(job.id(), JobStatus.FAILED)
                    .priority(work.priority())
                    .tier(job.tier())
                    .error(new JobResult.JobError(ErrorCode.PROCESSING_FAILED, message, true))
                    .metadata(job.metadata())
                    .completedAt(now)
                    .build());
            out.add(records.result(
                    job.replyToOr(settings.topics().results()), result, OutcomeRecords.correlationId(record)));
            metrics.jobEnded(JobStatus.FAILED.name(), work.priority());
            traffic.jobFinished(JobStatus.FAILED, 0, true);
        } else {
            traffic.deadLettered();
        }
        return out;
    }

    private void reject(PolledJob work, JobValidator.Invalid invalid, List<ProducerRecord<String, byte[]>> out) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        Instant now = clock.instant();
        String message = invalid.message();
        log.warn("rejected job at {}@{} (id {}): {}", work.partition(), record.offset(), invalid.readableId(), message);
        metrics.deadLettered(DeadLetterReason.INVALID_JOB);
        out.add(records.deadLetter(
                invalid.readableId(),
                records.fitting(
                        deadLetter(work, DeadLetterReason.INVALID_JOB, message, now)
                                .job(invalid.tree())
                                .build(),
                        record.value())));
        if (invalid.readableId() != null) {
            // a reply topic that breaks the rules is never written to: the default reply topic gets the answer
            String replyTo = invalid.usableReplyTo() != null
                    ? invalid.usableReplyTo()
                    : settings.topics().results();
            JsonNode metadata = invalid.tree().path("metadata");
            boolean metadataOk = metadata.isObject()
                    && invalid.violations().stream().noneMatch(v -> v.field().equals("metadata"));
            JobResult result = JobResult.builder(invalid.readableId(), JobStatus.REJECTED)
                    .priority(work.priority())
                    .tier(tier(invalid.tree()))
                    .error(new JobResult.JobError(ErrorCode.INVALID_JOB, message, false))
                    .metadata(metadataOk ? metadata : null)
                    .completedAt(now)
                    .build();
            out.add(records.result(replyTo, result, OutcomeRecords.correlationId(record)));
        }
        metrics.jobEnded(JobStatus.REJECTED.name(), work.priority());
        if (invalid.readableId() != null) {
            traffic.jobFinished(JobStatus.REJECTED, 0, true);
        } else {
            traffic.deadLettered();
        }
    }

    private void deadLetterUnparsable(PolledJob work, String reason, List<ProducerRecord<String, byte[]>> out) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        log.warn("unparsable record at {}@{}: {}", work.partition(), record.offset(), reason);
        String raw = record.value() == null ? null : Base64.getEncoder().encodeToString(record.value());
        out.add(records.deadLetter(
                null,
                records.fitting(
                        deadLetter(work, DeadLetterReason.UNPARSABLE, reason, clock.instant())
                                .raw(raw)
                                .build(),
                        record.value())));
        metrics.deadLettered(DeadLetterReason.UNPARSABLE);
        traffic.deadLettered();
    }

    /** A dead letter of the polled record: its priority, where it was and its replays filled in. */
    static DeadLetter.Builder deadLetter(PolledJob work, DeadLetterReason reason, String message, Instant at) {
        return DeadLetter.builder(reason, message)
                .priority(work.priority())
                .from(OutcomeRecords.source(work.record()), OutcomeRecords.replayCount(work.record()))
                .failedAt(at);
    }

    private static JobValidator.Check withViolation(JobValidator.Check check, JsonNode tree, Violation extra) {
        if (check instanceof JobValidator.Invalid invalid) {
            List<Violation> all = new ArrayList<>(invalid.violations());
            all.add(extra);
            return new JobValidator.Invalid(tree, invalid.readableId(), invalid.usableReplyTo(), all);
        }
        Job job = ((JobValidator.Valid) check).job();
        return new JobValidator.Invalid(tree, job.id(), job.replyTo(), List.of(extra));
    }

    private static Tier tier(JsonNode tree) {
        JsonNode t = tree.path("tier");
        if (t.isString()) {
            for (Tier tier : Tier.values()) {
                if (tier.name().equals(t.stringValue())) {
                    return tier;
                }
            }
        }
        return null;
    }
}
