package dev.llmdispatch.worker.config;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

/**
 * The Kafka client properties every client a worker makes must share, from {@code spring.kafka.*}: the bootstrap
 * servers and the security settings (SASL, TLS, {@code spring.kafka.properties.*}), so that the producer SDK of the
 * HTTP ingress, the dead-letter tools and the emergency replay reach a secured broker as the consumer does.
 */
public final class KafkaClients {

    private KafkaClients() {}

    public static Map<String, Object> common(KafkaProperties kafka) {
        Map<String, Object> props = new HashMap<>(kafka.buildAdminProperties());
        props.remove(CommonClientConfigs.CLIENT_ID_CONFIG); // each client names itself
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, String.join(",", kafka.getBootstrapServers()));
        return props;
    }
}
