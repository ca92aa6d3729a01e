package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.Priority;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/** A record taken from a job topic, waiting for or under processing. */
public record Work(ConsumerRecord<byte[], byte[]> record, Priority priority, long polledAtNanos) {

    public TopicPartition partition() {
        return new TopicPartition(record.topic(), record.partition());
    }
}
