package dev.llmdispatch.worker.ops;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.time.Ticker;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
                if (holding()) {
                    consumer.pause(consumer.assignment());
                } else {
                    consumer.resume(consumer.paused());
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(look);
                if (!records.isEmpty()) {
                    replay(records);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error(
                    "the replay of EMERGENCY dead letters stopped on this worker ({}); the other workers' go on: "
                            + "restart this one, or replay them with `llm-dispatch dlq replay --reason EMERGENCY`",
                    e.toString());
        } finally {
            closeQuietly();
        }
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

    /** One batch: its EMERGENCY jobs back on their topics and the group's offsets past it, in one transaction. */
    private void replay(ConsumerRecords<byte[], byte[]> records) {
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        int sent = 0;
        try {
            if (producer == null) {
                producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
                producer.initTransactions();
            }
            producer.beginTransaction();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                DeadLetter d = emergencyJob(r);
                if (d != null) {
                    producer.send(DeadLetters.replayRecord(d, topics));
                    sent++;
                }
            }
            producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
            producer.commitTransaction();
        } catch (KafkaException e) {
            // not written: read the batch again (a rebalance took a partition: its next owner reads it), on a new
            // producer if this one was fenced or broken
            log.warn("could not replay {} EMERGENCY dead letters now ({}); trying again", sent, e.toString());
            closeProducer();
            rewind(records);
            return;
        }
        replayed += sent;
        if (sent > 0) {
            log.warn(
                    "emergency mode over: {} jobs dead-lettered as EMERGENCY put back on their topics by themselves",
                    sent);
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

    /** Reads the partitions of {@code records} still owned here again from the batch's first record. */
    private void rewind(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition p : records.partitions()) {
            if (consumer.assignment().contains(p)) {
                consumer.seek(p, records.records(p).getFirst().offset());
            }
        }
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
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new java.util.HashSet<>(partitions));
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
