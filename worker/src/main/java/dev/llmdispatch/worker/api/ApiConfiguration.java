package dev.llmdispatch.worker.api;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.worker.config.KafkaClients;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;

/** The producer SDK used by the submit endpoint, created on first use. */
@Configuration(proxyBeanMethods = false)
class ApiConfiguration {

    @Bean(destroyMethod = "close")
    @Lazy
    JobClient jobClient(KafkaProperties kafka, Topics topics) {
        JobClient.Builder builder =
                JobClient.builder(String.join(",", kafka.getBootstrapServers())).topics(topics);
        KafkaClients.common(kafka).forEach(builder::kafkaProperty); // security (SASL, TLS) as the consumer has it
        return builder.build();
    }
}
