package dev.llmdispatch.worker.ops;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.Capacity;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.dispatch.ProviderHealth;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.worker.config.DispatchProperties;
import dev.llmdispatch.worker.config.KafkaClients;
import dev.llmdispatch.worker.config.PeriodicTask;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import dev.llmdispatch.worker.observe.Metrics;
import dev.llmdispatch.worker.security.ApiKeys;
import dev.llmdispatch.worker.security.TenantBudgets;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
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
    BacklogReader kafkaQueues(KafkaProperties kafka, Topics topics) {
        String group =
                String.valueOf(kafka.buildConsumerProperties().getOrDefault("group.id", Topics.DEFAULT_WORKER_GROUP));
        return new BacklogReader(kafka.buildAdminProperties(), topics, group);
    }

    /**
     * {@code llm_dispatch_queue_lag{priority}}: jobs on each priority's topics not yet answered by the workers'
     * group, read from Kafka every 5 s (NaN while Kafka cannot be read).
     */
    @Bean
    PeriodicTask queueLagGauges(BacklogReader queues, MeterRegistry meters) {
        Map<String, Double> lag = new ConcurrentHashMap<>();
        for (Priority p : Priority.values()) {
            lag.put(p.name(), Double.NaN);
            Gauge.builder(Metrics.QUEUE_LAG, lag, m -> m.get(p.name()))
                    .description("jobs on the priority's topics not yet answered by the workers' group")
                    .tag("priority", p.name())
                    .register(meters);
        }
        return new PeriodicTask("queue-lag", Duration.ZERO, Duration.ofSeconds(5), () -> {
            try {
                queues.lag().forEach((priority, n) -> lag.put(priority, n.doubleValue()));
            } catch (Exception e) {
                lag.replaceAll((priority, n) -> Double.NaN);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }

    /** The fleet's state for producers, on the status topic. */
    @Bean(destroyMethod = "close")
    FleetStatePublisher fleetStatePublisher(KafkaProperties kafka, Topics topics) {
        return new FleetStatePublisher(kafka.buildProducerProperties(), topics.status());
    }

    /**
     * The {@code EMERGENCY} dead letters, replayed by themselves when emergency mode ends: one consumer group of the
     * whole fleet on the dead-letter topic ({@code <workers' group>-emergency-replay}); off with
     * {@code dispatch.emergency.auto-replay: false}.
     */
    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnBooleanProperty(name = "dispatch.emergency.auto-replay", matchIfMissing = true)
    EmergencyReplay emergencyReplay(
            KafkaProperties kafka,
            Topics topics,
            DispatchProperties properties,
            Emergency emergency,
            AccountBlocks cooldowns) {
        String group =
                String.valueOf(kafka.buildConsumerProperties().getOrDefault("group.id", Topics.DEFAULT_WORKER_GROUP));
        // an account in an outage is probed at least every probe interval x the backoff's cap: three times that is
        // patience
        Duration probe = properties.health().probeInterval();
        return new EmergencyReplay(
                KafkaClients.common(kafka),
                topics,
                group + "-emergency-replay",
                properties.consumer().transactionalIdPrefix() + "emergency-replay-",
                emergency::active,
                cooldowns,
                probe.multipliedBy(3L * ProviderHealth.MAX_PROBE_BACKOFF_FACTOR),
                probe);
    }

    @Bean
    FleetStatus fleetStatus(
            DispatchSettings settings,
            Capacity gate,
            AccountBlocks cooldowns,
            ProviderHealth health,
            Emergency emergency,
            PriorityConsumer consumer,
            BacklogReader queues,
            ApiKeys keys,
            TenantBudgets budgets) {
        return new FleetStatus(settings, gate, cooldowns, health, emergency, consumer, queues, keys, budgets);
    }
}
