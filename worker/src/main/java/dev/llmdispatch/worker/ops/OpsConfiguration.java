package dev.llmdispatch.worker.ops;

import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.capacity.CapacityGate;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.resilience.AccountHealth;
import dev.llmdispatch.dispatch.resilience.Cooldowns;
import dev.llmdispatch.dispatch.resilience.EmergencyMonitor;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** What the status endpoint, the dashboard and the CLI's {@code status} read; the dashboard's addresses. */
@Configuration(proxyBeanMethods = false)
public class OpsConfiguration implements WebMvcConfigurer {

    /** {@code /} and {@code /dashboard} show the dashboard page. */
    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/", "/dashboard");
        registry.addViewController("/dashboard").setViewName("forward:/dashboard.html");
    }

    @Bean(destroyMethod = "close")
    KafkaQueues kafkaQueues(KafkaProperties kafka, Topics topics) {
        String group = String.valueOf(kafka.buildConsumerProperties().getOrDefault("group.id", "llm-dispatch-workers"));
        return new KafkaQueues(kafka.buildAdminProperties(), topics, group);
    }

    @Bean
    FleetStatus fleetStatus(DispatchSettings settings, CapacityGate gate, Cooldowns cooldowns, AccountHealth health,
            EmergencyMonitor emergency, PriorityConsumer consumer, KafkaQueues queues) {
        return new FleetStatus(settings, gate, cooldowns, health, emergency, consumer, queues);
    }
}
