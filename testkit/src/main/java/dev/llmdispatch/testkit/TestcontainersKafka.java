package dev.llmdispatch.testkit;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/** Kafka in a container, used by {@link LocalKafka} when a Docker engine answers. */
final class TestcontainersKafka {
    private TestcontainersKafka() {}

    static LocalKafka start() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new IllegalStateException("Docker is not available");
        }
        KafkaContainer container =
                new KafkaContainer(LocalKafka.TESTCONTAINERS_IMAGE).withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
        container.start();
        return LocalKafka.of(container::stop, container.getBootstrapServers());
    }
}
