package dev.llmdispatch.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A real Kafka broker on this machine: a Testcontainers broker when a Docker engine is present, else
 * a KRaft broker inside this JVM. Choose with system property {@code llmdispatch.kafka}
 * ({@code auto} (default), {@code embedded}, {@code testcontainers}).
 */
public final class LocalKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalKafka.class);
    public static final String TESTCONTAINERS_IMAGE = "apache/kafka:4.1.0";

    private final AutoCloseable broker;
    private final String bootstrapServers;

    private LocalKafka(AutoCloseable broker, String bootstrapServers) {
        this.broker = broker;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts a broker on a free port; {@link #bootstrapServers()} tells where. */
    public static LocalKafka start() {
        String mode = System.getProperty("llmdispatch.kafka", "auto");
        if (mode.equals("testcontainers") || (mode.equals("auto") && dockerLikely())) {
            try {
                return TestcontainersKafka.start();
            } catch (RuntimeException | LinkageError e) {
                if (mode.equals("testcontainers")) {
                    throw e;
                }
                log.info("no usable Docker engine ({}); starting an embedded KRaft broker", e.getMessage());
            }
        }
        return embedded();
    }

    static LocalKafka embedded() {
        // the KRaft test kit picks its own free ports (spring-kafka 4 ignores kafkaPorts for it)
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerProperties(Map.of(
                "auto.create.topics.enable", "false",
                "group.initial.rebalance.delay.ms", "0",
                "offsets.topic.num.partitions", "5",
                // one broker: the transaction log has one replica (workers write outcomes in transactions)
                "transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                "transaction.state.log.num.partitions", "5",
                "log.flush.interval.messages", "100000"));
        broker.afterPropertiesSet();
        log.info("embedded KRaft Kafka broker at {}", broker.getBrokersAsString());
        return new LocalKafka(broker::destroy, broker.getBrokersAsString());
    }

    static LocalKafka of(AutoCloseable broker, String bootstrapServers) {
        return new LocalKafka(broker, bootstrapServers);
    }

    private static boolean dockerLikely() {
        return System.getenv("DOCKER_HOST") != null || Files.exists(Path.of("/var/run/docker.sock"));
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        try {
            broker.close();
        } catch (Exception e) {
            log.warn("stopping Kafka: {}", e.toString());
        }
    }
}
