package dev.llmdispatch.worker.consume;

import dev.llmdispatch.time.Ticker;
import dev.llmdispatch.worker.publish.OutcomeRecords;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes finished jobs' results and dead letters, and the offsets they answer, in one Kafka transaction, every
 * {@code interval} (a few tens of milliseconds): readers with {@code isolation.level=read_committed} see a job's
 * outcome exactly when its offset is committed, so a worker that dies, stalls or loses the partition mid-way leaves
 * nothing visible that its successor would write again. The offsets go with the consumer's group metadata, so a
 * worker that is no longer a member of the group (a zombie) cannot commit.
 *
 * <p>A transaction that fails is aborted and its jobs stay pending: a record that can never be written (too large,
 * a topic that is gone or forbidden) is replaced by its job's fallback (an UNDELIVERABLE dead letter naming the job,
 * partition and offset), and when even that cannot be written the job's offset is committed without records; any
 * other failure is tried again with a backoff (100 ms doubling up to 10 s). A commit that timed out (the broker away)
 * is completed later, never guessed. Used by the consumer thread only.
 */
final class ResultCommitter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ResultCommitter.class);
    private static final long MAX_BACKOFF_NANOS = Duration.ofSeconds(10).toNanos();

    private final Supplier<Producer<String, byte[]>> producers;
    private final BiFunction<PolledJob, Throwable, List<ProducerRecord<String, byte[]>>> fallback;
    private final Predicate<PolledJob> current;
    private final Function<String, String> unwritable;
    private final long intervalNanos;
    private final OffsetLedger ledger;
    private Producer<String, byte[]> producer;
    private List<Finished> pending = new ArrayList<>();
    /** A transaction whose commit timed out: its jobs and offsets, until the commit is known. */
    private List<Finished> committing;

    private Map<TopicPartition, OffsetAndMetadata> committingOffsets;
    private long lastNanos = Ticker.SYSTEM.nanos();
    private long retryAtNanos;
    private int failures;
    private volatile long transactions;

    /**
     * @param producers makes a transactional producer (a new one after a fatal error); {@code initTransactions} is
     *                  called here
     * @param fallback   the records that replace a job's outcome that can never be written
     * @param current    whether a job belongs to its partition's current assignment here (an outcome from an earlier
     *                   one is dropped: its partition's next owner answers it)
     * @param unwritable why a topic can never be written to (asked of the broker), or null: a record whose write timed
     *                   out is checked with it
     */
    ResultCommitter(
            Supplier<Producer<String, byte[]>> producers,
            OffsetLedger ledger,
            Duration interval,
            BiFunction<PolledJob, Throwable, List<ProducerRecord<String, byte[]>>> fallback,
            Predicate<PolledJob> current,
            Function<String, String> unwritable) {
        this.producers = producers;
        this.current = current;
        this.unwritable = unwritable;
        this.ledger = ledger;
        this.intervalNanos = interval.toNanos();
        this.fallback = fallback;
    }

    void add(Finished finished) {
        pending.add(finished);
    }

    /** Jobs ended and not yet committed (or being committed). */
    int pending() {
        return pending.size() + (committing == null ? 0 : committing.size());
    }

    long transactions() {
        return transactions;
    }

    /** Forgets the pending jobs of partitions this worker no longer owns: their next owner writes them. */
    void forget(Collection<TopicPartition> gone) {
        pending.removeIf(f -> gone.contains(f.work().partition()));
    }

    /**
     * Commits what is pending, if the interval has passed since the last commit (or {@code now} is set) and no
     * backoff is running.
     *
     * @return whether nothing is left pending
     */
    boolean commit(Supplier<ConsumerGroupMetadata> group, boolean now) {
        long t = Ticker.SYSTEM.nanos();
        if (t - retryAtNanos < 0 || (!now && t - lastNanos < intervalNanos)) {
            return pending() == 0;
        }
        lastNanos = t;
        try {
            if (producer == null) {
                Producer<String, byte[]> p = producers.get();
                try {
                    p.initTransactions();
                } catch (RuntimeException e) {
                    p.close(Duration.ZERO);
                    throw e;
                }
                producer = p;
            }
            if (committing != null) {
                try {
                    finishCommit();
                } catch (TimeoutException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // the transaction did not survive the wait (aborted by the broker, the producer fenced)
                    List<Finished> batch = committing;
                    committing = null;
                    abort(batch, List.of(), e);
                }
            } else {
                transact(group);
            }
        } catch (TimeoutException e) {
            backoff("Kafka did not answer in time", e);
        } catch (RuntimeException e) {
            backoff("a Kafka transaction failed", e);
        }
        return pending() == 0;
    }

    private void transact(Supplier<ConsumerGroupMetadata> group) {
        List<Finished> batch = new ArrayList<>(pending.size());
        List<Finished> later = new ArrayList<>();
        for (Finished f : pending) {
            if (!current.test(f.work())) {
                continue;
            }
            // a commit could not say it is finished (it is far ahead of the partition's oldest running job): it waits
            (ledger.describable(f.work().partition(), f.work().record().offset()) ? batch : later).add(f);
        }
        pending = later;
        batch.forEach(
                f -> ledger.finished(f.work().partition(), f.work().record().offset()));
        Map<TopicPartition, OffsetAndMetadata> offsets = ledger.changed();
        if (batch.isEmpty() && offsets.isEmpty()) {
            return;
        }
        List<List<Future<RecordMetadata>>> sends = new ArrayList<>(batch.size());
        try {
            producer.beginTransaction();
            for (Finished f : batch) {
                List<Future<RecordMetadata>> futures =
                        new ArrayList<>(f.records().size());
                sends.add(futures);
                for (ProducerRecord<String, byte[]> r : f.records()) {
                    try {
                        futures.add(producer.send(r));
                    } catch (KafkaException e) {
                        // refused before it was sent (serialization, a topic it may not write): this record's verdict
                        futures.add(CompletableFuture.failedFuture(e));
                        throw e;
                    }
                }
            }
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group.get());
            }
        } catch (RuntimeException e) {
            abort(batch, sends, e);
            return;
        }
        committing = batch;
        committingOffsets = offsets;
        try {
            finishCommit();
        } catch (TimeoutException e) {
            throw e; // the commit's outcome is unknown: finishCommit is called again, the batch stays as it is
        } catch (RuntimeException e) {
            committing = null;
            abort(batch, sends, e);
        }
    }

    /** Commits the transaction under way; a timeout leaves it under way. */
    private void finishCommit() {
        producer.commitTransaction();
        ledger.committed(committingOffsets);
        transactions++;
        committing = null;
        committingOffsets = null;
        failures = 0;
    }

    private void abort(List<Finished> batch, List<List<Future<RecordMetadata>>> sends, RuntimeException cause) {
        abortTransaction();
        batch.forEach(
                f -> ledger.unfinished(f.work().partition(), f.work().record().offset()));
        boolean replaced = false;
        List<Finished> again = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Finished f = batch.get(i);
            if (!current.test(f.work())) {
                continue;
            }
            Throwable failure = i < sends.size() ? finalFailure(f, sends.get(i)) : null;
            if (failure == null) {
                again.add(f);
            } else if (!f.fallback()) {
                log.error(
                        "job at {}@{}: its outcome cannot be written ({}); writing a dead letter instead",
                        f.work().partition(),
                        f.work().record().offset(),
                        failure.getMessage());
                again.add(new Finished(f.work(), fallback.apply(f.work(), failure), true));
                replaced = true;
            } else {
                log.error(
                        "job at {}@{}: neither its outcome nor its dead letter can be written ({}); its offset is "
                                + "committed without them",
                        f.work().partition(),
                        f.work().record().offset(),
                        failure.getMessage());
                again.add(new Finished(f.work(), List.of(), true));
                replaced = true;
            }
        }
        again.addAll(pending);
        pending = again;
        if (!replaced) {
            backoff("a Kafka transaction was aborted", cause);
        }
    }

    /** Aborts the transaction under way; a producer that cannot abort (fenced, a fatal error) is replaced. */
    private void abortTransaction() {
        for (int attempt = 1; ; attempt++) {
            try {
                producer.abortTransaction();
                return;
            } catch (TimeoutException e) {
                if (attempt < 3) {
                    continue; // the broker slow or away: the same producer must end its transaction, or readers wait
                }
                log.warn(
                        "aborting a transaction timed out {} times; making a new producer (readers of what it wrote "
                                + "wait until the broker aborts it)",
                        attempt);
            } catch (RuntimeException e) {
                log.warn("aborting a transaction failed ({}); making a new producer", e.toString());
            }
            producer.close(Duration.ZERO);
            producer = null;
            return;
        }
    }

    /**
     * Why one of these records can never be written, or null: a permanent refusal, or a write that timed out on a topic
     * the broker says does not exist or may not be written to.
     */
    private Throwable finalFailure(Finished f, List<Future<RecordMetadata>> futures) {
        for (int i = 0; i < futures.size(); i++) {
            Future<RecordMetadata> future = futures.get(i);
            if (!future.isDone()) {
                continue;
            }
            try {
                future.get();
            } catch (ExecutionException e) {
                if (OutcomeRecords.permanent(e.getCause())) {
                    return e.getCause();
                }
                if (e.getCause() instanceof TimeoutException) {
                    String why = unwritable.apply(f.records().get(i).topic());
                    if (why != null) {
                        return new IllegalStateException(why, e.getCause());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // cancelled: not a verdict on the record
            }
        }
        return null;
    }

    private void backoff(String what, Exception e) {
        failures++;
        long nanos = Math.min(MAX_BACKOFF_NANOS, Duration.ofMillis(100).toNanos() << Math.min(failures - 1, 10));
        retryAtNanos = Ticker.SYSTEM.nanos() + nanos;
        log.warn(
                "{} ({}); {} jobs' outcomes wait, next try in {} ms (try {})",
                what,
                e.toString(),
                pending(),
                nanos / 1_000_000,
                failures);
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }
}
