package dev.llmdispatch.worker.observe.alert;

import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.Capacity;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.worker.config.DispatchProperties;
import dev.llmdispatch.worker.config.PeriodicTask;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the alert rules and sinks, and checks the rules on a schedule. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(AlertProperties.class)
public class AlertConfiguration {

    private static final Logger log = LoggerFactory.getLogger(AlertConfiguration.class);

    @Bean
    Alerter alerter(
            AlertProperties alerts,
            Emergency emergency,
            AccountBlocks cooldowns,
            Capacity gate,
            RedissonClient redisson,
            DispatchProperties properties,
            Clock clock) {
        log.info(
                "alerts: failure rate > {}, mean latency > {}, over {}; webhooks {}",
                alerts.failureRate(),
                alerts.meanLatency(),
                alerts.window(),
                alerts.webhooks());
        return new Alerter(
                alerts,
                new AlertSinks(alerts.webhooks()),
                emergency,
                cooldowns,
                gate,
                redisson,
                properties.keyPrefix(),
                ManagementFactory.getRuntimeMXBean().getName(),
                clock);
    }

    @Bean
    PeriodicTask alertChecks(Alerter alerter, AlertProperties alerts) {
        return new PeriodicTask("alerts", alerts.checkInterval(), alerts.checkInterval(), alerter::check);
    }
}
