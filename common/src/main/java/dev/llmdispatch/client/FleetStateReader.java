package dev.llmdispatch.client;

import dev.llmdispatch.api.FleetState;
import dev.llmdispatch.contract.JobCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the fleet's status topic (one partition, compacted) from its start and keeps the newest {@link FleetState}:
 * a producer learns of emergency mode without Redis and without asking a worker.
 */
public final class FleetStateReader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FleetStateReader.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread reader;
    private volatile FleetState state = FleetState.NORMAL;
    private volatile boolean running = true;

    /**
     * @param kafka any other client property (security, timeouts)
     */
    public FleetStateReader(String bootstrapServers, String topic, Map<String, Object> kafka) {
        createIfMissing(bootstrapServers, topic, kafka);
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        this.reader = Thread.ofPlatform().name("fleet-state-" + topic).daemon().start(this::read);
    }

    /** The newest state the workers published ({@link FleetState#NORMAL} before any). */
    public FleetState state() {
        return state;
    }

    private void read() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (FleetState.KEY.equals(record.key()) && record.value() != null) {
                        try {
                            state = JobCodec.read(record.value(), FleetState.class);
                        } catch (RuntimeException e) {
                            log.warn("unreadable fleet state at offset {}: {}", record.offset(), e.getMessage());
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("fleet state reader stopped; emergency mode is no longer seen by this client", e);
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
        }
    }

    /** Creates the status topic (one partition, compacted) when it is missing; workers do the same. */
    static void createIfMissing(String bootstrapServers, String topic, Map<String, Object> kafka) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(statusTopic(topic))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                log.warn(
                        "cannot create status topic '{}': {}",
                        topic,
                        e.getCause().getMessage());
            }
        } catch (TimeoutException e) {
            log.warn("Kafka at {} did not answer within 30 s while creating '{}'", bootstrapServers, topic);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The status topic as the workers create it: one partition, compacted (only the newest state matters). */
    public static NewTopic statusTopic(String topic) {
        return new NewTopic(topic, Optional.of(1), Optional.empty())
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            reader.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
