package dev.llmdispatch.worker.ops;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.time.Ticker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the job topics hold, read with one long-lived Kafka admin client (a status page polled every few seconds
 * must not open a connection per look): queue lag per priority for the workers' group, and the dead letters
 * kept on the dead-letter topic.
 */
public final class BacklogReader implements AutoCloseable {

    private static final long TIMEOUT_MS = 10_000;

    private final Admin admin;
    private final Map<String, Object> adminProperties;
    private KafkaConsumer<byte[], byte[]> dltReader;
    private final Map<TopicPartition, ArrayDeque<Long>> deadLetterOffsets = new HashMap<>();
    private final Topics topics;
    private final String group;

    public BacklogReader(Map<String, Object> adminProperties, Topics topics, String group) {
        Map<String, Object> props = new HashMap<>(adminProperties);
        props.putIfAbsent("default.api.timeout.ms", (int) TIMEOUT_MS);
        props.putIfAbsent("request.timeout.ms", (int) TIMEOUT_MS);
        this.admin = Admin.create(props);
        this.adminProperties = props;
        this.topics = topics;
        this.group = group;
    }

    /** Records on each priority's topics not yet committed by the workers' group. */
    public Map<String, Long> lag() throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<String, Long> lag = new LinkedHashMap<>();
        for (Priority p : Priority.values()) {
            lag.put(p.name(), 0L);
        }
        offsets(topics.jobTopics(), OffsetSpec.latest()).forEach((tp, end) -> {
            OffsetAndMetadata c = committed.get(tp);
            lag.merge(topics.priorityOf(tp.topic()).name(), end.offset() - (c == null ? 0 : c.offset()), Long::sum);
        });
        return lag;
    }

    /**
     * Dead letters kept on the dead-letter topic (written and not yet purged). Counted as records, read once each by
     * a long-lived reader with {@code read_committed}: offsets alone would count the markers of the transactions that
     * wrote them, and letters of aborted ones.
     */
    public synchronized long deadLettersHeld() throws ExecutionException, InterruptedException, TimeoutException {
        var earliest = offsets(List.of(topics.deadLetter()), OffsetSpec.earliest());
        if (dltReader == null) {
            Map<String, Object> props = new HashMap<>();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, adminProperties.get("bootstrap.servers"));
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            dltReader = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }
        if (!dltReader.assignment().equals(earliest.keySet())) {
            dltReader.assign(earliest.keySet());
            earliest.keySet().stream()
                    .filter(tp -> !deadLetterOffsets.containsKey(tp))
                    .forEach(tp -> {
                        deadLetterOffsets.put(tp, new ArrayDeque<>());
                        dltReader.seek(tp, earliest.get(tp).offset());
                    });
        }
        Map<TopicPartition, Long> end = dltReader.endOffsets(earliest.keySet(), Duration.ofMillis(TIMEOUT_MS));
        long deadline = Ticker.SYSTEM.nanos() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (end.entrySet().stream().anyMatch(e -> dltReader.position(e.getKey()) < e.getValue())) {
            if (Ticker.SYSTEM.passed(deadline)) {
                throw new TimeoutException("reading " + topics.deadLetter() + " took more than " + TIMEOUT_MS + " ms");
            }
            dltReader
                    .poll(Duration.ofMillis(100))
                    .forEach(r -> deadLetterOffsets
                            .get(new TopicPartition(r.topic(), r.partition()))
                            .add(r.offset()));
        }
        long held = 0;
        for (var e : deadLetterOffsets.entrySet()) {
            ArrayDeque<Long> kept = e.getValue();
            var first = earliest.get(e.getKey());
            while (first != null && !kept.isEmpty() && kept.peekFirst() < first.offset()) {
                kept.pollFirst(); // purged by retention
            }
            held += kept.size();
        }
        return held;
    }

    private Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> offsets(List<String> names, OffsetSpec spec)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin.describeTopics(names)
                .allTopicNames()
                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .forEach((name, d) ->
                        d.partitions().forEach(p -> request.put(new TopicPartition(name, p.partition()), spec)));
        return admin.listOffsets(request).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void close() {
        if (dltReader != null) {
            dltReader.close(CloseOptions.timeout(Duration.ofSeconds(2)));
        }
        admin.close(Duration.ofSeconds(5));
    }
}
