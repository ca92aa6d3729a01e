package dev.llmdispatch.worker.api;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;

/**
 * The producer SDK used by the HTTP ways in ({@code /api/jobs}, {@code /v1}), created on first use. Their jobs were
 * counted against their tenant's request budgets when admitted: the records say so, and the consumer does not count
 * them again.
 */
@Configuration(proxyBeanMethods = false)
class ApiConfiguration {

    @Bean(destroyMethod = "close")
    @Lazy
    JobClient jobClient(KafkaProperties kafka, Topics topics) {
        return JobClient.builder(String.join(",", kafka.getBootstrapServers()))
                .topics(topics)
                .header(RecordHeaders.BUDGET_COUNTED, "1")
                .build();
    }
}
