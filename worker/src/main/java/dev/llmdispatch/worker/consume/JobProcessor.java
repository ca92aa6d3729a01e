package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobValidator;
import dev.llmdispatch.dispatch.Dispatch;
import dev.llmdispatch.dispatch.JobClaims;
import dev.llmdispatch.dispatch.JobEnd;
import dev.llmdispatch.dispatch.JobRun;
import dev.llmdispatch.dispatch.TenantBudgetCheck;
import dev.llmdispatch.dispatch.WaitCancelledException;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.worker.observe.FleetTraffic;
import dev.llmdispatch.worker.observe.Metrics;
import dev.llmdispatch.worker.publish.OutcomeRecords;
import dev.llmdispatch.worker.publish.ReplyTopics;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.redisson.client.RedisException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one job record to its terminal state: an unreadable record to a dead letter, an invalid job to a REJECTED
 * result and a dead letter, a job whose reply topic can never be written to an UNDELIVERABLE dead letter; the rest
 * is a {@link JobRun}, whose {@link JobEnd} becomes records (a result, and a dead letter when every provider failed).
 * Never throws for bad input.
 */
public final class JobProcessor {

    private static final Logger log = LoggerFactory.getLogger(JobProcessor.class);

    private final DispatchSettings settings;
    private final JobRun run;
    private final OutcomeRecords records;
    private final Metrics metrics;
    private final FleetTraffic traffic;
    private final ReplyTopics replyTopics;
    private final BadRecords bad;
    private static final long RETRY_MILLIS = 1_000;
    /** How often the worker may fail on one record itself before the record is dead-lettered. */
    public static final int MAX_FAILURES = 3;
    /** At most this many records' failures are remembered (the oldest forgotten first). */
    private static final int REMEMBERED = 10_000;

    private final Sleeper sleeper;
    /** Failures of this worker on records it still owns, by topic, partition and offset. */
    private final Map<String, AtomicInteger> failures = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, AtomicInteger> eldest) {
            return size() > REMEMBERED;
        }
    });

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
        this(
                settings,
                validator,
                dispatcher,
                records,
                claims,
                replyTopics,
                clock,
                Sleeper.SYSTEM,
                metrics,
                traffic,
                budgets);
    }

    /** @param sleeper the pause before a record that failed is tried again */
    JobProcessor(
            DispatchSettings settings,
            JobValidator validator,
            Dispatch dispatcher,
            OutcomeRecords records,
            JobClaims claims,
            ReplyTopics replyTopics,
            Clock clock,
            Sleeper sleeper,
            Metrics metrics,
            FleetTraffic traffic,
            TenantBudgetCheck budgets) {
        this.sleeper = sleeper;
        this.bad = new BadRecords(settings, validator, records, clock, metrics, traffic);
        this.traffic = traffic;
        this.replyTopics = replyTopics;
        this.settings = settings;
        this.records = records;
        this.metrics = metrics;
        this.run = JobRun.builder(claims, dispatcher)
                .budgets(budgets)
                .clock(clock)
                .fitting(records::fitting)
                .listener((job, nanos) -> metrics.jobStart(nanos))
                .build();
    }

    /**
     * Takes one job to its outcome: the records to write for it (its result, a dead letter), or unfinished when it
     * was stopped first (its partition moving, the worker stopping) or its state could not be read (Redis away).
     */
    public Finished process(JobHandle handle) {
        PolledJob work = handle.work();
        try {
            Finished finished = handle(handle);
            if (finished.done()) {
                forget(work);
            }
            return finished;
        } catch (InterruptedException e) {
            // stopping, or cancelled while its partition moved: it runs again here or on the partition's next owner
            Thread.currentThread().interrupt();
        } catch (WaitCancelledException e) {
            // its partition moved to another worker before it reached a provider: that worker runs it
        } catch (RuntimeException e) {
            if (!unavailable(e)) {
                int failures = failures(work).incrementAndGet();
                if (failures >= MAX_FAILURES) {
                    forget(work);
                    return new Finished(work, bad.processingFailed(work, e, failures), false);
                }
                log.warn(
                        "job at {}@{} could not be handled ({}), failure {} of {}; again in {} ms",
                        work.partition(),
                        work.record().offset(),
                        e.toString(),
                        failures,
                        MAX_FAILURES,
                        RETRY_MILLIS);
            } else {
                log.warn(
                        "job at {}@{} could not be handled ({}: a store or the broker is away); again in {} ms",
                        work.partition(),
                        work.record().offset(),
                        e.toString(),
                        RETRY_MILLIS);
            }
            try {
                sleeper.sleepMillis(RETRY_MILLIS);
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
        JobEnd end = run.run(
                job,
                new JobRun.Delivery(
                        work.priority(), OutcomeRecords.replayCount(record), record.timestamp(), handle::handedOver));
        byte[] correlationId = OutcomeRecords.correlationId(record);
        switch (end) {
            case JobEnd.HandedOver moved -> {
                return Finished.unfinished(work); // the partition's next owner runs it
            }
            case JobEnd.Held held -> {
                return Finished.held(work, held.renewsIn()); // its tenant's jobs wait here for the budget
            }
            case JobEnd.AnsweredBefore again -> {
                out.add(records.result(replyTo, again.result(), correlationId));
                metrics.answeredAgain(work.priority());
            }
            case JobEnd.Ended ended -> {
                JobResult result = ended.result();
                metrics.waited(
                        work.priority(),
                        result.timings().queuedMs(),
                        result.timings().waitMs());
                DeadLetterReason deadLetter = ended instanceof JobEnd.Failed failed ? failed.deadLetter() : null;
                if (deadLetter != null) {
                    metrics.deadLettered(deadLetter);
                    out.add(records.deadLetter(
                            job.id(),
                            records.fitting(
                                    BadRecords.deadLetter(
                                                    work,
                                                    deadLetter,
                                                    ((JobEnd.Failed) ended).why(),
                                                    result.completedAt())
                                            .job(JobCodec.toTree(job))
                                            .attempts(result.attempts())
                                            .build(),
                                    record.value())));
                }
                out.add(records.result(replyTo, result, correlationId));
                metrics.jobEnded(result.status().name(), work.priority());
                traffic.jobFinished(result.status(), result.timings().totalMs(), deadLetter != null);
            }
        }
        return new Finished(work, out, false);
    }

    private AtomicInteger failures(PolledJob work) {
        return failures.computeIfAbsent(key(work), k -> new AtomicInteger());
    }

    private void forget(PolledJob work) {
        failures.remove(key(work));
    }

    private static String key(PolledJob work) {
        return work.record().topic() + "-" + work.record().partition() + "@"
                + work.record().offset();
    }

    /**
     * Whether a failure says a store or the broker is away (Redis, Kafka, the network), which heals by itself and does
     * not count against the record, rather than that the worker fails on this job.
     */
    static boolean unavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisException
                    || t instanceof KafkaException
                    || t instanceof IOException
                    || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }
}
