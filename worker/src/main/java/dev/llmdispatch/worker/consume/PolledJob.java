package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.RecordHeaders;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * A record taken from a job topic, waiting for or under processing.
 *
 * @param ownership which assignment of its partition to this worker it was polled under: an outcome that ends after
 *                  the partition left (and perhaps came back) belongs to no current assignment and is not committed
 * @param tenant    the job's tenant, for fair share, read once from the record ({@link #tenantOf})
 */
public record PolledJob(ConsumerRecord<byte[], byte[]> record, Priority priority, long ownership, String tenant) {

    public PolledJob(ConsumerRecord<byte[], byte[]> record, Priority priority, long ownership) {
        this(record, priority, ownership, tenantOf(record));
    }

    /** A record of no particular assignment (for tests). */
    public PolledJob(ConsumerRecord<byte[], byte[]> record, Priority priority) {
        this(record, priority, 0);
    }

    /**
     * A job's tenant: the {@code tenant} header when the producer set one (the SDK does), else the value's top-level
     * {@code tenant} field; "" for none or an unreadable value.
     */
    static String tenantOf(ConsumerRecord<byte[], byte[]> record) {
        Header header = record.headers().lastHeader(RecordHeaders.TENANT);
        if (header != null) {
            return header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
        }
        byte[] value = record.value();
        if (value == null) {
            return "";
        }
        try (JsonParser parser = JobCodec.mapper().createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return "";
            }
            for (JsonToken t = parser.nextToken(); t == JsonToken.PROPERTY_NAME; t = parser.nextToken()) {
                String name = parser.currentName();
                JsonToken v = parser.nextToken();
                if (name.equals("tenant")) {
                    return v == JsonToken.VALUE_STRING ? parser.getString() : "";
                }
                parser.skipChildren();
            }
            return "";
        } catch (RuntimeException e) {
            return ""; // unreadable: it becomes a dead letter when its turn comes
        }
    }

    public TopicPartition partition() {
        return new TopicPartition(record.topic(), record.partition());
    }
}
