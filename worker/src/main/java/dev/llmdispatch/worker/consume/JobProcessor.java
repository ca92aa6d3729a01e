package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.JobValidator;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Violation;
import dev.llmdispatch.dispatch.DispatchOutcome;
import dev.llmdispatch.dispatch.JobDispatcher;
import dev.llmdispatch.dispatch.capacity.CapacityGate;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.worker.observe.FleetTraffic;
import dev.llmdispatch.worker.publish.AnswerStore;
import dev.llmdispatch.worker.publish.ResultPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Takes one job record to its terminal state: an unreadable record to a dead letter, an invalid job to a
 * REJECTED result and a dead letter, an expired one to EXPIRED, the rest through the dispatcher to a result
 * (and a dead letter when every provider failed). Never throws for bad input.
 */
public final class JobProcessor {

    private static final Logger log = LoggerFactory.getLogger(JobProcessor.class);

    private final DispatchSettings settings;
    private final JobValidator validator;
    private final JobDispatcher dispatcher;
    private final ResultPublisher publisher;
    private final Clock clock;
    private final MeterRegistry meters;
    private final FleetTraffic traffic;
    private final AnswerStore answers;
    /** Failed tries to publish the outcome of a record (partition@offset), for the backoff. */
    private final java.util.Map<String, Integer> publishFailures = new java.util.concurrent.ConcurrentHashMap<>();
    private static final long MAX_PUBLISH_BACKOFF_MILLIS = 10_000;
    /** What a dead letter keeps of a record too large to keep whole. */
    public static final int RAW_KEEP_BYTES = 256 * 1024;

    public JobProcessor(DispatchSettings settings, JobValidator validator, JobDispatcher dispatcher,
            ResultPublisher publisher, AnswerStore answers, Clock clock, MeterRegistry meters, FleetTraffic traffic) {
        this.traffic = traffic;
        this.answers = answers;
        this.settings = settings;
        this.validator = validator;
        this.dispatcher = dispatcher;
        this.publisher = publisher;
        this.clock = clock;
        this.meters = meters;
    }

    /**
     * Processes one record.
     *
     * @return true when its terminal result and dead letter (if any) are written; false when writing failed
     *         (the record must be processed again)
     */
    public boolean process(Work work) {
        String at = work.partition() + "@" + work.record().offset();
        try {
            handle(work);
            publishFailures.remove(at);
            return true;
        } catch (ResultPublisher.PublishException e) {
            if (e.permanent()) {
                publishFailures.remove(at);
                undeliverable(work, e);
                return true; // final: the partition moves on, the job is not run again
            }
            // the broker away, a leader moving: the outcome is stored, so the next try publishes it without a
            // provider call; back off so that a long outage is not a tight loop
            int failures = publishFailures.merge(at, 1, Integer::sum);
            long backoff = Math.min(MAX_PUBLISH_BACKOFF_MILLIS, 200L << Math.min(failures - 1, 10));
            log.error("job at {}: {} (try {}, again in {} ms)", at, e.getMessage(), failures, backoff);
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            return false;
        } catch (InterruptedException e) {
            // stopping: the job stays uncommitted and runs again on the partition's next owner
            Thread.currentThread().interrupt();
            return false;
        } catch (CapacityGate.WaitCancelledException e) {
            // its partition moved to another worker before it reached a provider: that worker runs it
            return false;
        }
    }

    /**
     * A result (or dead letter) that can never be written: a minimal dead letter names the job, its partition and
     * offset and why; the job's outcome stays in the answer store by job id.
     */
    private void undeliverable(Work work, ResultPublisher.PublishException e) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        String jobId = null;
        try {
            jobId = JobCodec.readTree(record.value()).path("id").asString(null);
        } catch (RuntimeException unreadable) {
            // no id to name
        }
        log.error("job {} at {}@{}: its result cannot be written ({}); dead-lettered as UNDELIVERABLE, not run again",
                jobId, work.partition(), record.offset(), e.getMessage());
        meters.counter("llm_dispatch_dead_letters", "reason", DeadLetterReason.UNDELIVERABLE.name()).increment();
        try {
            publisher.publishDeadLetter(jobId, new DeadLetter(Job.VERSION, DeadLetterReason.UNDELIVERABLE,
                    "the job's result could not be written: " + e.getMessage(), null, null, work.priority(), List.of(),
                    source(record), replayCount(record), clock.instant()));
        } catch (ResultPublisher.PublishException again) {
            log.error("job {} at {}@{}: its UNDELIVERABLE dead letter could not be written either: {}", jobId,
                    work.partition(), record.offset(), again.getMessage());
        }
    }

    /**
     * The result as it can be written: one larger than a record may be (a huge embedding batch, say) becomes a FAILED
     * result saying so, with both sizes; nothing else of it changes.
     */
    private JobResult writable(JobResult r) {
        int size = JobCodec.toBytes(r).length;
        if (size <= publisher.maxValueBytes()) {
            return r;
        }
        return new JobResult(r.v(), r.id(), JobStatus.FAILED, r.priority(), r.tier(), r.provider(), r.account(),
                r.model(), null, new JobResult.JobError(ErrorCode.RESULT_TOO_LARGE, "the answer of " + r.account()
                        + " made a result of " + size + " bytes, more than the " + publisher.maxValueBytes()
                        + " a result record may have (the producer's max.request.size): it was not delivered", false),
                r.attempts(), r.cached(), r.timings(), r.metadata(), r.completedAt());
    }

    /**
     * The dead letter as it can be written: one too large (a huge record, a huge invalid job) keeps, instead of the job,
     * the first {@link #RAW_KEEP_BYTES} bytes of the record in {@code raw}, and says so.
     */
    private DeadLetter writable(DeadLetter d, byte[] record) {
        if (JobCodec.toBytes(d).length <= publisher.maxValueBytes()) {
            return d;
        }
        int length = record == null ? 0 : record.length;
        int keep = Math.min(length, RAW_KEEP_BYTES);
        String raw = record == null ? null : Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(record, keep));
        return new DeadLetter(d.v(), d.reason(), d.message() + " (the record was " + length + " bytes, too large to "
                + "keep whole: raw holds its first " + keep + ")", null, raw, d.priority(), d.attempts(), d.source(),
                d.replayCount(), d.failedAt());
    }

    private void handle(Work work) throws InterruptedException {
        ConsumerRecord<byte[], byte[]> record = work.record();
        long startedMillis = clock.millis();
        byte[] value = record.value();
        JsonNode tree;
        try {
            tree = JobCodec.readTree(value);
        } catch (JobCodec.UnreadableRecordException e) {
            deadLetterUnparsable(work, e.getMessage());
            return;
        }
        JobValidator.Check check = validator.check(tree);
        if (value.length > settings.maxJobBytes()) {
            check = withViolation(check, tree, Violation.of("record", "must be at most " + settings.maxJobBytes()
                    + " bytes (dispatch.max-job-bytes)", value.length + " bytes"));
        }
        if (check instanceof JobValidator.Invalid invalid) {
            reject(work, invalid);
            return;
        }
        Job job = ((JobValidator.Valid) check).job();
        // read before the deadline: a redelivered job that was answered gets its answer, not a second outcome
        var answered = answers.find(job.id(), replayCount(record));
        if (answered.isPresent()) {
            // already answered (a producer's retry, a redelivery): its stored outcome, no provider call
            JobResult stored = answered.get();
            JobResult again = new JobResult(stored.v(), stored.id(), stored.status(), work.priority(), stored.tier(),
                    stored.provider(), stored.account(), stored.model(), stored.response(), stored.error(),
                    stored.attempts(), true, stored.timings(), job.metadata(), clock.instant());
            publisher.publishResult(job.replyToOr(settings.topics().results()), again, correlationId(work.record()));
            meters.counter("llm_dispatch_jobs", "status", "ALREADY_ANSWERED", "priority", work.priority().name())
                    .increment();
            meters.counter("llm_dispatch_cache_hits").increment();
            return;
        }
        Instant now = clock.instant();
        if (job.deadline() != null && now.isAfter(job.deadline())) {
            DispatchOutcome expired = DispatchOutcome.failed(job.tier(), ErrorCode.EXPIRED, "deadline " + job.deadline()
                    + " passed before the job could start", false, List.of(), 0, 0);
            publishResult(work, job, expired, startedMillis, null);
            return;
        }
        DispatchOutcome outcome = dispatcher.dispatch(job, work.priority());
        publishResult(work, job, outcome, startedMillis, deadLetterReason(outcome));
    }

    /** What no provider could serve is kept for replay. */
    private static DeadLetterReason deadLetterReason(DispatchOutcome outcome) {
        if (outcome.error() == null) {
            return null;
        }
        return switch (outcome.error().code()) {
            case ALL_PROVIDERS_FAILED -> DeadLetterReason.ALL_PROVIDERS_FAILED;
            case EMERGENCY -> DeadLetterReason.EMERGENCY;
            default -> null;
        };
    }

    private void publishResult(Work work, Job job, DispatchOutcome outcome, long startedMillis,
            DeadLetterReason deadLetter) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        long now = clock.millis();
        // producer timestamps come from the producer's clock: never report a negative time
        long produced = record.timestamp() > 0 ? Math.min(record.timestamp(), startedMillis) : startedMillis;
        JobResult result = new JobResult(Job.VERSION, job.id(), outcome.status(), work.priority(), outcome.tier(),
                outcome.provider(), outcome.account(), outcome.model(), outcome.response(), outcome.error(),
                outcome.attempts(), false,
                new JobResult.Timings(startedMillis - produced, outcome.waitMs(), outcome.providerMs(),
                        Math.max(0, now - produced)),
                job.metadata(), Instant.ofEpochMilli(now));
        result = writable(result);
        meters.timer("llm_dispatch_job_queue_wait", "priority", work.priority().name())
                .record(java.time.Duration.ofMillis(result.timings().queuedMs()));
        meters.timer("llm_dispatch_job_capacity_wait", "priority", work.priority().name())
                .record(java.time.Duration.ofMillis(result.timings().waitMs()));
        try {
            // remembered before it is published: whatever happens to this worker from here, the job is not sent to
            // a provider again for this delivery
            answers.remember(result, replayCount(record));
        } catch (RuntimeException e) {
            log.warn("job {}: its outcome could not be stored ({}); a redelivery would run it again", job.id(),
                    e.toString());
        }
        if (deadLetter != null) {
            meters.counter("llm_dispatch_dead_letters", "reason", deadLetter.name()).increment();
            publisher.publishDeadLetter(job.id(), writable(new DeadLetter(Job.VERSION, deadLetter,
                    outcome.error().message(), JobCodec.toTree(job), null, work.priority(), outcome.attempts(),
                    source(record), replayCount(record), Instant.ofEpochMilli(now)), record.value()));
        }
        publisher.publishResult(job.replyToOr(settings.topics().results()), result, correlationId(record));
        meters.counter("llm_dispatch_jobs", "status", result.status().name(), "priority", work.priority().name())
                .increment();
        traffic.jobFinished(result.status(), result.timings().totalMs(), deadLetter != null);
    }

    private void reject(Work work, JobValidator.Invalid invalid) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        Instant now = clock.instant();
        String message = invalid.message();
        log.warn("rejected job at {}@{} (id {}): {}", work.partition(), record.offset(), invalid.readableId(), message);
        meters.counter("llm_dispatch_dead_letters", "reason", DeadLetterReason.INVALID_JOB.name()).increment();
        publisher.publishDeadLetter(invalid.readableId(), writable(new DeadLetter(Job.VERSION,
                DeadLetterReason.INVALID_JOB, message, invalid.tree(), null, work.priority(), List.of(), source(record),
                replayCount(record), now), record.value()));
        if (invalid.readableId() != null) {
            // a reply topic that breaks the rules is never written to: the default reply topic gets the answer
            String replyTo = invalid.usableReplyTo() != null ? invalid.usableReplyTo() : settings.topics().results();
            JsonNode metadata = invalid.tree().path("metadata");
            boolean metadataOk = metadata.isObject()
                    && invalid.violations().stream().noneMatch(v -> v.field().equals("metadata"));
            JobResult result = new JobResult(Job.VERSION, invalid.readableId(), JobStatus.REJECTED, work.priority(),
                    tier(invalid.tree()), null, null, null, null,
                    new JobResult.JobError(ErrorCode.INVALID_JOB, message, false), List.of(), false,
                    JobResult.Timings.ZERO, metadataOk ? metadata : null, now);
            publisher.publishResult(replyTo, result, correlationId(record));
        }
        meters.counter("llm_dispatch_jobs", "status", JobStatus.REJECTED.name(), "priority", work.priority().name())
                .increment();
        if (invalid.readableId() != null) {
            traffic.jobFinished(JobStatus.REJECTED, 0, true);
        } else {
            traffic.deadLettered();
        }
    }

    private void deadLetterUnparsable(Work work, String reason) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        log.warn("unparsable record at {}@{}: {}", work.partition(), record.offset(), reason);
        String raw = record.value() == null ? null : Base64.getEncoder().encodeToString(record.value());
        publisher.publishDeadLetter(null, writable(new DeadLetter(Job.VERSION, DeadLetterReason.UNPARSABLE, reason,
                null, raw, work.priority(), List.of(), source(record), replayCount(record), clock.instant()),
                record.value()));
        meters.counter("llm_dispatch_dead_letters", "reason", DeadLetterReason.UNPARSABLE.name()).increment();
        traffic.deadLettered();
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

    private static DeadLetter.Source source(ConsumerRecord<?, ?> record) {
        return new DeadLetter.Source(record.topic(), record.partition(), record.offset());
    }

    private static byte[] correlationId(ConsumerRecord<?, ?> record) {
        Header header = record.headers().lastHeader(RecordHeaders.CORRELATION_ID);
        return header == null ? null : header.value();
    }

    private static int replayCount(ConsumerRecord<?, ?> record) {
        Header header = record.headers().lastHeader(RecordHeaders.REPLAY_COUNT);
        if (header == null) {
            return 0;
        }
        try {
            return Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
