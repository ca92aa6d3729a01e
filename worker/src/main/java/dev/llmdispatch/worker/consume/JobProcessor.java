package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobValidator;
import dev.llmdispatch.dispatch.Dispatch;
import dev.llmdispatch.dispatch.DispatchOutcome;
import dev.llmdispatch.dispatch.WaitCancelledException;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import dev.llmdispatch.worker.observe.FleetTraffic;
import dev.llmdispatch.worker.observe.Metrics;
import dev.llmdispatch.worker.publish.JobClaims;
import dev.llmdispatch.worker.publish.OutcomeRecords;
import dev.llmdispatch.worker.publish.ReplyTopics;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one job record to its terminal state: an unreadable record to a dead letter, an invalid job to a
 * REJECTED result and a dead letter, an expired one to EXPIRED, the rest through the dispatcher to a result
 * (and a dead letter when every provider failed). Never throws for bad input.
 */
public final class JobProcessor {

    private static final Logger log = LoggerFactory.getLogger(JobProcessor.class);

    private final DispatchSettings settings;
    private final Dispatch dispatcher;
    private final OutcomeRecords records;
    private final Clock clock;
    private final Metrics metrics;
    private final FleetTraffic traffic;
    private final JobClaims claims;
    private final ReplyTopics replyTopics;
    private final BadRecords bad;
    private final TenantBudgetCheck budgets;
    private static final long CLAIM_POLL_MILLIS = 250;
    private static final long REDIS_RETRY_MILLIS = 1_000;
    private static final int REMEMBER_TRIES = 30;

    public JobProcessor(
            DispatchSettings settings,
            JobValidator validator,
            Dispatch dispatcher,
            OutcomeRecords records,
            JobClaims claims,
            ReplyTopics replyTopics,
            Clock clock,
            Metrics metrics,
            FleetTraffic traffic,
            TenantBudgetCheck budgets) {
        this.budgets = budgets;
        this.bad = new BadRecords(settings, validator, records, clock, metrics, traffic);
        this.traffic = traffic;
        this.claims = claims;
        this.replyTopics = replyTopics;
        this.settings = settings;
        this.dispatcher = dispatcher;
        this.records = records;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Takes one job to its outcome: the records to write for it (its result, a dead letter), or unfinished when it
     * was stopped first (its partition moving, the worker stopping) or its state could not be read (Redis away).
     */
    public Finished process(JobHandle handle) {
        PolledJob work = handle.work();
        try {
            return handle(handle);
        } catch (InterruptedException e) {
            // stopping, or cancelled while its partition moved: it runs again here or on the partition's next owner
            Thread.currentThread().interrupt();
        } catch (WaitCancelledException e) {
            // its partition moved to another worker before it reached a provider: that worker runs it
        } catch (RuntimeException e) {
            log.warn(
                    "job at {}@{} could not be handled ({}); again in {} ms",
                    work.partition(),
                    work.record().offset(),
                    e.toString(),
                    REDIS_RETRY_MILLIS);
            try {
                Sleeper.SYSTEM.sleepMillis(REDIS_RETRY_MILLIS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        return Finished.unfinished(work);
    }

    /**
     * The records that replace an outcome that can never be written: a minimal dead letter naming the job, its
     * partition and offset and why; the job's outcome stays in the answer store by job id.
     */
    public List<ProducerRecord<String, byte[]>> undeliverable(PolledJob work, Throwable e) {
        return bad.undeliverable(work, e);
    }

    /** Why a topic can never be written to, asked of the broker afresh; null when it can (or the broker is away). */
    public String unwritableNow(String topic) {
        return replyTopics.unwritableNow(topic);
    }

    /**
     * The job's end: its records (its result, a dead letter), or unfinished when its partition moved before it reached
     * a provider (the partition's next owner runs it), or held when its tenant spent a budget that renews soon.
     */
    private Finished handle(JobHandle handle) throws InterruptedException {
        PolledJob work = handle.work();
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(2);
        ConsumerRecord<byte[], byte[]> record = work.record();
        long startedMillis = clock.millis();
        long startedNanos = Ticker.SYSTEM.nanos();
        Job job = bad.read(work, out);
        if (job == null) {
            return new Finished(work, out, false); // unreadable or invalid: its dead letter (and REJECTED result)
        }
        String replyTo = job.replyToOr(settings.topics().results());
        String unwritable = replyTopics.unwritable(replyTo);
        if (unwritable != null) {
            // its answer could never be delivered: no provider is asked
            out.addAll(bad.undeliverable(work, new IllegalStateException(unwritable)));
            return new Finished(work, out, false);
        }
        // one run at a time: after a rebalance the previous owner may still be finishing this job, or a second record
        // of it may be running here. The claim, the stored outcome and the earlier attempts come in one round trip; a
        // job answered before (a redelivery, a producer's retry) gets its answer, whatever its deadline says now
        int replayCount = OutcomeRecords.replayCount(record);
        JobClaims.Start start;
        while ((start = claims.start(job.id(), replayCount)).claim() == null) {
            if (start.answered().isPresent()) {
                answered(work, job, start.answered().get(), out);
                return new Finished(work, out, false);
            }
            if (handle.handedOver()) {
                return Finished.unfinished(work); // its partition moved while it waited for another owner's claim
            }
            Sleeper.SYSTEM.sleepMillis(CLAIM_POLL_MILLIS);
        }
        JobClaims.Claim claim = start.claim();
        boolean finished = false;
        try {
            if (start.answered().isPresent()) {
                answered(work, job, start.answered().get(), out);
                return new Finished(work, out, false);
            }
            Instant now = clock.instant();
            if (job.deadline() != null && now.isAfter(job.deadline())) {
                DispatchOutcome expired = DispatchOutcome.failed(
                        job.tier(),
                        ErrorCode.EXPIRED,
                        "deadline " + job.deadline() + " passed before the job could start",
                        false,
                        List.of(),
                        0,
                        0);
                finished = outcome(work, job, claim, expired, startedMillis, null, out);
                return new Finished(work, out, false);
            }
            if (handle.handedOver()) {
                return Finished.unfinished(work); // its partition moved: the next owner runs it
            }
            switch (budgets.start(job.tenant(), job.id())) {
                case TenantBudgetCheck.Start started -> {}
                case TenantBudgetCheck.Hold hold -> {
                    return Finished.held(work, hold.renewsIn()); // its tenant's jobs wait here for the budget
                }
                case TenantBudgetCheck.Spent spent -> {
                    DispatchOutcome refused = DispatchOutcome.failed(
                            job.tier(), ErrorCode.BUDGET_SPENT, spent.message(), false, List.of(), 0, 0);
                    finished = outcome(work, job, claim, refused, startedMillis, DeadLetterReason.BUDGET_SPENT, out);
                    return new Finished(work, out, false);
                }
            }
            metrics.jobStart(Ticker.SYSTEM.nanos() - startedNanos);
            DispatchOutcome outcome = dispatcher.dispatch(job, work.priority(), start.before());
            finished = outcome(work, job, claim, outcome, startedMillis, deadLetterReason(outcome), out);
            return new Finished(work, out, false);
        } finally {
            try {
                if (!finished) {
                    claims.release(claim);
                }
            } catch (RuntimeException e) {
                log.warn(
                        "job {}: its claim could not be released ({}); it lapses in {}",
                        job.id(),
                        e.toString(),
                        claims.lease());
            }
        }
    }

    /** The stored outcome of a job answered before (a producer's retry, a redelivery), published again. */
    private void answered(PolledJob work, Job job, JobResult stored, List<ProducerRecord<String, byte[]>> out) {
        JobResult again = stored.toBuilder()
                .priority(work.priority())
                .cached(true)
                .metadata(job.metadata())
                .completedAt(clock.instant())
                .build();
        out.add(records.result(
                job.replyToOr(settings.topics().results()), again, OutcomeRecords.correlationId(work.record())));
        metrics.answeredAgain(work.priority());
    }

    /**
     * Stores a job's outcome and gives its claim up (one round trip), trying again for up to {@link #REMEMBER_TRIES}
     * seconds while Redis fails: a job whose outcome is not stored may be sent to a provider again by the partition's
     * next owner.
     *
     * @return whether it was stored (and the claim given up with it)
     */
    private boolean remember(JobClaims.Claim claim, JobResult result, int replayCount) {
        for (int attempt = 1; ; attempt++) {
            try {
                claims.finish(claim, result, replayCount);
                return true;
            } catch (RuntimeException e) {
                if (attempt >= REMEMBER_TRIES) {
                    log.error(
                            "job {}: its outcome could not be stored ({}); should its partition move before the "
                                    + "outcome is committed, the next owner asks a provider again",
                            result.id(),
                            e.toString());
                    return false;
                }
                try {
                    Sleeper.SYSTEM.sleepMillis(1_000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
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

    /** Records the job's outcome; answers whether it was stored, its claim given up with it. */
    private boolean outcome(
            PolledJob work,
            Job job,
            JobClaims.Claim claim,
            DispatchOutcome outcome,
            long startedMillis,
            DeadLetterReason deadLetter,
            List<ProducerRecord<String, byte[]>> out) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        long now = clock.millis();
        // producer timestamps come from the producer's clock: never report a negative time
        long produced = record.timestamp() > 0 ? Math.min(record.timestamp(), startedMillis) : startedMillis;
        JobResult result = JobResult.builder(job.id(), outcome.status())
                .priority(work.priority())
                .tier(outcome.tier())
                .servedBy(outcome.provider(), outcome.account(), outcome.model())
                .response(outcome.response())
                .error(outcome.error())
                .attempts(outcome.attempts())
                .cached(outcome.cached())
                .timings(new JobResult.Timings(
                        startedMillis - produced, outcome.waitMs(), outcome.providerMs(), Math.max(0, now - produced)))
                .metadata(job.metadata())
                .completedAt(Instant.ofEpochMilli(now))
                .build();
        if (job.tenant() != null) {
            budgets.charge(job.tenant(), result); // the answer's tokens were used even if it cannot be delivered whole
        }
        result = records.fitting(result);
        metrics.waited(
                work.priority(), result.timings().queuedMs(), result.timings().waitMs());
        // remembered before it is written, and the claim given up with it: whatever happens to this worker from here,
        // the job is not sent to a provider again for this delivery
        boolean stored = remember(claim, result, OutcomeRecords.replayCount(record));
        if (deadLetter != null) {
            metrics.deadLettered(deadLetter);
            out.add(records.deadLetter(
                    job.id(),
                    records.fitting(
                            BadRecords.deadLetter(
                                            work, deadLetter, outcome.error().message(), Instant.ofEpochMilli(now))
                                    .job(JobCodec.toTree(job))
                                    .attempts(outcome.attempts())
                                    .build(),
                            record.value())));
        }
        out.add(records.result(
                job.replyToOr(settings.topics().results()), result, OutcomeRecords.correlationId(record)));
        metrics.jobEnded(result.status().name(), work.priority());
        traffic.jobFinished(result.status(), result.timings().totalMs(), deadLetter != null);
        return stored;
    }
}
