package dev.llmdispatch.worker.ops;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the jobs dead-lettered as {@code EMERGENCY} back on their priority topics once emergency mode is over, without an
 * operator. Every worker runs one, in one consumer group on the dead-letter topic ({@code <workers' group>-emergency-replay}),
 * and each batch of dead letters is replayed in a Kafka transaction with the group's offsets past it: a dead letter
 * goes back once, whichever worker reads it, whatever crashes. The marks are the group's offsets, kept by Kafka beside
 * the dead letters: a worker's crash hands its partitions to another; a crash inside a batch aborts it and the next
 * owner replays it whole; Redis restarted empty changes nothing. Jobs that failed otherwise
 * ({@code ALL_PROVIDERS_FAILED}, ...) are passed over: they wait for ops.
 *
 * <p>It reads nothing while this worker sees emergency mode on. The flag comes down as soon as one account is back,
 * while the others' probes may still be backing off: a job replayed then, whose accounts are all still in an outage,
 * would fail again as {@code ALL_PROVIDERS_FAILED} and wait for ops. So it also holds, up to {@code patience}, while an
 * account is in an outage (an open circuit, which a probe ends); what is still out then is out for longer, and its jobs
 * fail over or fail as they would at any time.
 *
 * <p>A group that has no offsets yet (the first start of this version) begins at the end of the topic, and says so:
 * dead letters from before that are replayed by ops ({@code llm-dispatch dlq replay --reason EMERGENCY}).
 */
public final class EmergencyReplay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmergencyReplay.class);
    private static final long NONE = Long.MIN_VALUE;
    /** Failures in a row after which dead letters go back one at a time. */
    private static final int ONE_BY_ONE_AFTER = 2;

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Topics topics;
    private final BooleanSupplier emergency;
    private final AccountBlocks cooldowns;
    private final Duration patience;
    private final Duration look;
    private final Ticker ticker;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, Object> producerProps;
    private final Thread loop;
    private KafkaProducer<String, byte[]> producer; // the loop's thread only
    private long outageDeadline = NONE; // the loop's thread only
    private boolean warnedStillOut; // the loop's thread only
    private int failures; // in a row; the loop's thread only
    private boolean mustRewind; // positions may be past what the group committed; the loop's thread only
    private volatile boolean running = true;
    private volatile long replayed;

    /**
     * @param kafkaClient           the deployment's Kafka client properties (bootstrap servers, security)
     * @param group                 the replay's consumer group, one for the whole fleet
     * @param transactionalIdPrefix the start of this worker's {@code transactional.id} (a random part follows: fencing
     *                              comes from the group's generation, sent with the offsets)
     * @param emergency             whether this worker sees emergency mode on now
     * @param cooldowns             the fleet's blocks, to see whether any account is still in an outage
     * @param patience              the longest it holds for accounts in an outage once emergency mode is over
     * @param look                  how often it looks again while it holds
     */
    public EmergencyReplay(
            Map<String, Object> kafkaClient,
            Topics topics,
            String group,
            String transactionalIdPrefix,
            BooleanSupplier emergency,
            AccountBlocks cooldowns,
            Duration patience,
            Duration look) {
        this.topics = topics;
        this.emergency = emergency;
        this.cooldowns = cooldowns;
        this.patience = patience;
        this.look = look;
        this.ticker = Ticker.SYSTEM;
        Map<String, Object> consumerProps = new HashMap<>(kafkaClient);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, "emergency-replay-" + UUID.randomUUID());
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.producerProps = new HashMap<>(kafkaClient);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
        producerProps.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalIdPrefix + UUID.randomUUID());
        this.loop = Thread.ofPlatform().name("emergency-replay").daemon().unstarted(this::run);
    }

    /** Joins the group and starts reading (on a thread of its own). */
    public void start() {
        loop.start();
    }

    /** How many jobs this worker put back so far. */
    public long replayed() {
        return replayed;
    }

    /** Leaves the group (its partitions go to another worker at once) and stops. */
    @Override
    public void close() {
        running = false;
        if (!loop.isAlive() && loop.getState() == Thread.State.NEW) {
            closeQuietly(); // never started
            return;
        }
        consumer.wakeup();
        try {
            loop.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topics.deadLetter()), new StartAtTheEnd());
            while (running) {
                try {
                    step();
                } catch (WakeupException e) {
                    break; // closing
                } catch (RuntimeException e) {
                    recover(e);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly();
        }
    }

    private void step() throws InterruptedException {
        if (mustRewind) {
            rewindToCommitted(consumer.assignment());
            mustRewind = false;
        }
        if (holding()) {
            consumer.pause(consumer.assignment());
        } else {
            consumer.resume(consumer.paused());
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(look);
        if (records.isEmpty()) {
            return;
        }
        if (holding()) {
            // emergency mode began, or a rebalance handed over partitions unpaused, during the poll: not now
            rewind(records);
            consumer.pause(consumer.assignment());
            return;
        }
        replay(records);
    }

    /** Whether to read nothing now: emergency mode on, or an account still in an outage (up to the patience). */
    private boolean holding() {
        if (emergency.getAsBoolean()) {
            outageDeadline = NONE;
            warnedStillOut = false;
            return true;
        }
        List<String> out = cooldowns.all().entrySet().stream()
                .filter(e -> e.getValue().reason() == BlockReason.CIRCUIT_OPEN)
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
        if (out.isEmpty()) {
            outageDeadline = NONE;
            return false;
        }
        if (outageDeadline == NONE) {
            outageDeadline = ticker.deadline(patience);
        }
        if (!ticker.passed(outageDeadline)) {
            return true;
        }
        if (!warnedStillOut) {
            warnedStillOut = true;
            log.warn(
                    "accounts {} still in an outage after {}: EMERGENCY dead letters go back all the same (their jobs "
                            + "fail over, or fail as at any time)",
                    out,
                    patience);
        }
        return false;
    }

    /**
     * Puts a batch's EMERGENCY jobs back and moves the group's offsets past it, in one transaction. After failures in a
     * row it goes one dead letter at a time, and one that Kafka refuses for what it is (too large for its topic, a
     * topic that does not exist or may not be written) is passed over, named in the log: one record must not stop the
     * replay of every dead letter behind it.
     */
    private void replay(ConsumerRecords<byte[], byte[]> records) {
        List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
        records.forEach(batch::add);
        boolean oneByOne = failures >= ONE_BY_ONE_AFTER;
        if (oneByOne) {
            batch = List.of(batch.getFirst());
        }
        int sent;
        try {
            sent = transact(batch, records, true);
        } catch (KafkaException e) {
            if (!oneByOne || !refusedForWhatItIs(e)) {
                throw e;
            }
            ConsumerRecord<byte[], byte[]> r = batch.getFirst();
            log.error(
                    "emergency replay: dead letter {}-{}@{} cannot be put back ({}): passed over; replay it by hand with "
                            + "`llm-dispatch dlq replay` once its cause is mended",
                    r.topic(),
                    r.partition(),
                    r.offset(),
                    rootCause(e));
            closeProducer(); // its transaction failed: a new one settles it
            transact(batch, records, false);
            sent = 0;
        }
        // one at a time until a whole poll went back: then batches again
        failures = batch.size() == records.count() ? 0 : Math.min(failures, ONE_BY_ONE_AFTER);
        replayed += sent;
        if (sent > 0) {
            log.warn(
                    "emergency mode over: {} jobs dead-lettered as EMERGENCY put back on their topics by themselves",
                    sent);
        }
    }

    /** Whether Kafka refused a record for what it is, which no retry mends. */
    private static boolean refusedForWhatItIs(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RecordTooLargeException
                    || t instanceof RecordBatchTooLargeException
                    || t instanceof InvalidTopicException
                    || t instanceof TopicAuthorizationException) {
                return true;
            }
        }
        return false;
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.toString();
    }

    /**
     * After a failure (the broker away, a rebalance's commit refused, a transaction that failed or timed out): what
     * went through is unknown. A new producer with the same id settles any transaction of the old one, then the group's
     * offsets, read stable, say where to read again; until they are read, nothing is read further.
     */
    private void recover(RuntimeException e) throws InterruptedException {
        failures++;
        log.warn("emergency replay: dead letters not put back now ({}); trying again", e.toString());
        closeProducer();
        mustRewind = true;
        try {
            producer();
            rewindToCommitted(consumer.assignment());
            mustRewind = false;
        } catch (WakeupException closing) {
            throw closing;
        } catch (RuntimeException again) {
            log.debug("emergency replay: not settled yet: {}", again.toString());
        }
        backOff();
    }

    /**
     * One transaction: the EMERGENCY jobs of {@code batch} back on their topics ({@code send}), the group's offsets past
     * it; the records of {@code polled} not in it are read again. Returns how many jobs went back.
     */
    private int transact(
            List<ConsumerRecord<byte[], byte[]>> batch, ConsumerRecords<byte[], byte[]> polled, boolean send) {
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        KafkaProducer<String, byte[]> out = producer();
        out.beginTransaction();
        int sent = 0;
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            DeadLetter d = send ? emergencyJob(r) : null;
            if (d != null) {
                out.send(DeadLetters.replayRecord(d, topics));
                sent++;
            }
        }
        if (batch.size() == polled.count()) {
            // every record of a partition replayed: the position (past the markers of the transactions that wrote the
            // dead letters) is where it stands, so the group shows no lag of 1 for ever
            next.replaceAll((tp, om) -> new OffsetAndMetadata(Math.max(om.offset(), positionOr(tp, om.offset()))));
        } else {
            rewind(polled);
        }
        out.sendOffsetsToTransaction(next, consumer.groupMetadata());
        out.commitTransaction();
        if (batch.size() != polled.count()) {
            next.forEach((tp, om) -> consumer.seek(tp, om.offset()));
        }
        return sent;
    }

    private long positionOr(TopicPartition tp, long otherwise) {
        try {
            return consumer.position(tp, Duration.ZERO);
        } catch (KafkaException | IllegalStateException e) {
            return otherwise;
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            KafkaProducer<String, byte[]> made =
                    new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
            try {
                made.initTransactions();
            } catch (RuntimeException e) {
                made.close(Duration.ZERO);
                throw e;
            }
            producer = made;
        }
        return producer;
    }

    private void backOff() throws InterruptedException {
        long millis = Math.min(MAX_BACKOFF.toMillis(), look.toMillis() << Math.min(10, failures));
        if (running) {
            Sleeper.SYSTEM.sleepMillis(millis);
        }
    }

    /** The dead letter of {@code r} when it is an EMERGENCY one with a job to replay, else null (passed over). */
    private static DeadLetter emergencyJob(ConsumerRecord<byte[], byte[]> r) {
        DeadLetter d;
        try {
            d = JobCodec.readDeadLetter(r.value());
        } catch (RuntimeException e) {
            log.warn(
                    "dead letter {}-{}@{} is not readable as one ({}): passed over",
                    r.topic(),
                    r.partition(),
                    r.offset(),
                    e.getMessage());
            return null;
        }
        boolean hasJob = d.job() != null && d.job().path("id").isString();
        return d.reason() == DeadLetterReason.EMERGENCY && hasJob ? d : null;
    }

    /** Reads the partitions of {@code records} still owned here again from their first record polled. */
    private void rewind(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition p : records.partitions()) {
            if (consumer.assignment().contains(p)) {
                consumer.seek(p, records.records(p).getFirst().offset());
            }
        }
    }

    /** Reads these partitions again from the group's offsets, waiting for any transaction that moves them to end. */
    private void rewindToCommitted(Set<TopicPartition> partitions) {
        Set<TopicPartition> owned = new HashSet<>(partitions);
        owned.retainAll(consumer.assignment());
        consumer.committed(owned).forEach((p, om) -> {
            if (om != null) {
                consumer.seek(p, om.offset());
            }
        });
    }

    private void closeProducer() {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.debug("emergency replay: closing the producer: {}", e.toString());
            }
            producer = null;
        }
    }

    private void closeQuietly() {
        closeProducer();
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            log.debug("emergency replay: closing the consumer: {}", e.toString());
        }
    }

    /**
     * A partition the group has no offset for yet starts at its end, and that start is committed at once: a worker
     * that dies before it replays anything hands over the same start, so no dead letter written since is skipped.
     */
    private final class StartAtTheEnd implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions));
            Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
            for (TopicPartition p : partitions) {
                if (committed.get(p) == null) {
                    start.put(p, new OffsetAndMetadata(consumer.position(p)));
                }
            }
            if (!start.isEmpty()) {
                consumer.commitSync(start);
                log.info(
                        "emergency replay: {} had no mark yet; it starts at the end ({}): older EMERGENCY dead letters "
                                + "wait for ops",
                        start.keySet(),
                        start.values().stream().map(OffsetAndMetadata::offset).toList());
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}
    }
}
