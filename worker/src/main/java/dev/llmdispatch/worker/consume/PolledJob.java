package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.Priority;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A record taken from a job topic, waiting for or under processing.
 *
 * @param ownership which assignment of its partition to this worker it was polled under: an outcome that ends after
 *                  the partition left (and perhaps came back) belongs to no current assignment and is not committed
 */
public record PolledJob(ConsumerRecord<byte[], byte[]> record, Priority priority, long ownership) {

    /** A record of no particular assignment (for tests). */
    public PolledJob(ConsumerRecord<byte[], byte[]> record, Priority priority) {
        this(record, priority, 0);
    }

    public TopicPartition partition() {
        return new TopicPartition(record.topic(), record.partition());
    }
}
