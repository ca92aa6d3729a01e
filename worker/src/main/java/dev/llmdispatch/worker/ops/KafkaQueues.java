package dev.llmdispatch.worker.ops;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
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
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What the job topics hold, read with one long-lived Kafka admin client (a status page polled every few seconds
 * must not open a connection per look): queue lag per priority for the workers' group, and the dead letters
 * kept on the dead-letter topic.
 */
public final class KafkaQueues implements AutoCloseable {

    private static final long TIMEOUT_MS = 10_000;

    private final Admin admin;
    private final Topics topics;
    private final String group;

    public KafkaQueues(Map<String, Object> adminProperties, Topics topics, String group) {
        Map<String, Object> props = new HashMap<>(adminProperties);
        props.putIfAbsent("default.api.timeout.ms", (int) TIMEOUT_MS);
        props.putIfAbsent("request.timeout.ms", (int) TIMEOUT_MS);
        this.admin = Admin.create(props);
        this.topics = topics;
        this.group = group;
    }

    /** Records on each priority's topics not yet committed by the workers' group. */
    public Map<String, Long> lag() throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
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

    /** Dead letters kept on the dead-letter topic (written and not yet purged). */
    public long deadLettersHeld() throws ExecutionException, InterruptedException, TimeoutException {
        List<String> dlt = List.of(topics.deadLetter());
        var earliest = offsets(dlt, OffsetSpec.earliest());
        var latest = offsets(dlt, OffsetSpec.latest());
        long held = 0;
        for (var e : latest.entrySet()) {
            held += e.getValue().offset() - earliest.get(e.getKey()).offset();
        }
        return held;
    }

    private Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> offsets(List<String> names, OffsetSpec spec)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin.describeTopics(names).allTopicNames().get(TIMEOUT_MS, TimeUnit.MILLISECONDS).forEach((name, d) ->
                d.partitions().forEach(p -> request.put(new TopicPartition(name, p.partition()), spec)));
        return admin.listOffsets(request).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
