package dev.llmdispatch.worker.ops;

import dev.llmdispatch.api.FleetState;
import dev.llmdispatch.contract.JobCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the fleet's state on the status topic when this worker raises or lowers the emergency flag, so that producers
 * ({@code JobClient.Builder.failFastInEmergency}) learn of it without Redis. Sends do not block the caller.
 */
public final class FleetStatePublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FleetStatePublisher.class);

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;

    public FleetStatePublisher(Map<String, Object> producerProperties, String topic) {
        Map<String, Object> props = new HashMap<>(producerProperties);
        props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    public void publish(FleetState state) {
        producer.send(new ProducerRecord<>(topic, FleetState.KEY, JobCodec.toBytes(state)), (metadata, error) -> {
            if (error != null) {
                log.warn(
                        "fleet state (emergency={}) not written to {}: {}", state.emergency(), topic, error.toString());
            }
        });
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
