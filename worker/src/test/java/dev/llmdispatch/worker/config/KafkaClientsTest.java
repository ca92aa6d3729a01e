package dev.llmdispatch.worker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

class KafkaClientsTest {

    @Test
    void every_client_gets_the_brokers_and_their_security_but_names_itself() {
        KafkaProperties kafka = new KafkaProperties();
        kafka.setBootstrapServers(List.of("kafka-1:9093", "kafka-2:9093"));
        kafka.setClientId("worker");
        kafka.getSecurity().setProtocol("SASL_SSL");
        kafka.getProperties().put("sasl.mechanism", "SCRAM-SHA-512");
        kafka.getSsl().setTrustStoreType("PKCS12");

        Map<String, Object> common = KafkaClients.common(kafka);
        assertThat(common)
                .containsEntry("bootstrap.servers", "kafka-1:9093,kafka-2:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.type", "PKCS12")
                .doesNotContainKey("client.id");
    }
}
