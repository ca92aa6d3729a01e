package dev.llmdispatch.client;

import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.time.Ticker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Reads the dead-letter topic and replays what it holds: each selected dead letter's job goes back on its
 * priority topic with header {@code replay-count} = its replay count + 1. A job already answered is not sent to
 * a provider again: the workers return its stored answer. Plain kafka-clients, no Spring.
 */
public final class DeadLetters implements AutoCloseable {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    /** Which dead letters: every set criterion must hold (null or empty: any). */
    public record Filter(Set<String> jobIds, Set<DeadLetterReason> reasons, Instant from, Instant to, String account) {
        public static final Filter ALL = new Filter(null, null, null, null, null);

        boolean matches(DeadLetter d) {
            String id = d.job() == null ? null : d.job().path("id").asString(null);
            return (jobIds == null || jobIds.isEmpty() || (id != null && jobIds.contains(id)))
                    && (reasons == null || reasons.isEmpty() || reasons.contains(d.reason()))
                    && (from == null || (d.failedAt() != null && !d.failedAt().isBefore(from)))
                    && (to == null || (d.failedAt() != null && d.failedAt().isBefore(to)))
                    && (account == null || d.attempts().stream().anyMatch(a -> account.equals(a.account())));
        }
    }

    /** One dead letter with where it sits on the topic. */
    public record Entry(DeadLetter deadLetter, int partition, long offset) {
        public String jobId() {
            return deadLetter.job() == null ? null : deadLetter.job().path("id").asString(null);
        }
    }

    /**
     * What a replay did.
     *
     * @param replayed        jobs put back on their priority topics
     * @param skipped         dead letters left alone, with why (no job to replay, a bad job, an older copy)
     */
    public record Report(int matched, List<String> replayed, Map<String, String> skipped, boolean dryRun) {}

    private final Map<String, Object> clientProperties;
    private final String bootstrapServers;
    private final Topics topics;
    private final KafkaProducer<String, byte[]> producer;

    public DeadLetters(String bootstrapServers, Topics topics) {
        this(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), topics);
    }

    /**
     * @param clientProperties the Kafka client properties every client of the deployment uses: bootstrap servers,
     *                         and security (SASL, TLS) where the brokers need it
     */
    public DeadLetters(Map<String, Object> clientProperties, Topics topics) {
        this.clientProperties = Map.copyOf(clientProperties);
        this.bootstrapServers = String.valueOf(clientProperties.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG));
        this.topics = topics;
        Map<String, Object> producerProps = new HashMap<>(this.clientProperties);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
    }

    /** The dead letters that match, oldest first, read from the start of the topic to its current end. */
    public List<Entry> list(Filter filter) {
        List<Entry> out = new ArrayList<>();
        Map<String, Object> consumerProps = new HashMap<>(clientProperties);
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.deadLetter(), READ_TIMEOUT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, READ_TIMEOUT);
            long deadline = Ticker.SYSTEM.deadline(READ_TIMEOUT);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (Ticker.SYSTEM.passed(deadline)) {
                    throw new IllegalStateException("reading " + topics.deadLetter() + " at " + bootstrapServers
                            + " took over " + READ_TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    DeadLetter d;
                    try {
                        d = JobCodec.readDeadLetter(r.value());
                    } catch (RuntimeException e) {
                        continue; // not ours to read
                    }
                    if (filter.matches(d)) {
                        out.add(new Entry(d, r.partition(), r.offset()));
                    }
                }
            }
        }
        out.sort((a, b) -> {
            Instant fa = a.deadLetter().failedAt();
            Instant fb = b.deadLetter().failedAt();
            return fa == null || fb == null ? 0 : fa.compareTo(fb);
        });
        return out;
    }

    /**
     * Replays the matching dead letters: the newest copy of each job once. UNPARSABLE ones have no job; INVALID_JOB
     * ones would only fail again, so they are replayed only when the filter asks for that reason by name.
     */
    public Report replay(Filter filter, boolean dryRun, Consumer<String> progress) {
        List<Entry> entries = list(filter);
        Map<String, Entry> newest = new LinkedHashMap<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        boolean invalidAsked = filter.reasons() != null && filter.reasons().contains(DeadLetterReason.INVALID_JOB);
        for (Entry e : entries) {
            String where = e.partition() + "@" + e.offset();
            if (e.deadLetter().reason() == DeadLetterReason.UNPARSABLE || e.jobId() == null) {
                skipped.put(where, "no job to replay (" + e.deadLetter().reason() + ")");
            } else if (e.deadLetter().reason() == DeadLetterReason.INVALID_JOB && !invalidAsked) {
                skipped.put(e.jobId(), "invalid job: it would fail again (ask for reason INVALID_JOB to replay it)");
            } else {
                Entry older = newest.put(e.jobId(), e);
                if (older != null) {
                    skipped.put(e.jobId() + " " + older.partition() + "@" + older.offset(), "an older copy");
                }
            }
        }
        List<String> replayed = new ArrayList<>();
        for (Entry e : newest.values()) {
            if (!dryRun) {
                send(e);
            }
            replayed.add(e.jobId());
            if (progress != null) {
                progress.accept((dryRun ? "would replay " : "replayed ") + e.jobId() + " (" + replayed.size() + "/"
                        + newest.size() + ")");
            }
        }
        producer.flush();
        return new Report(entries.size(), replayed, skipped, dryRun);
    }

    /**
     * The record that puts a dead letter's job back on its priority topic (MEDIUM when it has none): keyed by the job's
     * id, with header {@code replay-count} = its replay count + 1. The dead letter must hold a job with an id.
     */
    public static ProducerRecord<String, byte[]> replayRecord(DeadLetter d, Topics topics) {
        String jobId = d.job().path("id").asString();
        String topic = topics.jobTopic(d.priority() == null ? Priority.MEDIUM : d.priority());
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, jobId, JobCodec.toBytes(d.job()));
        record.headers()
                .add(
                        RecordHeaders.REPLAY_COUNT,
                        Integer.toString(d.replayCount() + 1).getBytes(StandardCharsets.UTF_8));
        record.headers().add(RecordHeaders.CORRELATION_ID, jobId.getBytes(StandardCharsets.UTF_8));
        return record;
    }

    private void send(Entry e) {
        ProducerRecord<String, byte[]> record = replayRecord(e.deadLetter(), topics);
        String topic = record.topic();
        try {
            producer.send(record).get();
        } catch (ExecutionException ex) {
            throw new IllegalStateException(
                    "cannot replay " + e.jobId() + " to " + topic + ": "
                            + ex.getCause().getMessage(),
                    ex.getCause());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while replaying", ex);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
