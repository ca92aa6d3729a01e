package dev.llmdispatch.worker.health;

import dev.llmdispatch.dispatch.resilience.AccountHealth;
import dev.llmdispatch.dispatch.resilience.Cooldowns;
import dev.llmdispatch.dispatch.resilience.EmergencyMonitor;
import dev.llmdispatch.dispatch.resilience.HealthEvents;
import dev.llmdispatch.dispatch.resilience.HealthProber;
import dev.llmdispatch.worker.config.DispatchProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Health probes, the emergency check, the health endpoint's view of the accounts, and health metrics. */
@Configuration(proxyBeanMethods = false)
public class HealthConfiguration {

    private static final Logger log = LoggerFactory.getLogger(HealthConfiguration.class);

    @Bean
    HealthEvents healthEvents(MeterRegistry meters) {
        return new HealthEvents() {
            @Override
            public void accountDisabled(String account, String why) {
                meters.counter("llm_dispatch_alerts", "kind", "account_disabled", "account", account).increment();
            }

            @Override
            public void circuitOpened(String account, String why) {
                meters.counter("llm_dispatch_alerts", "kind", "circuit_opened", "account", account).increment();
            }

            @Override
            public void accountRecovered(String account) {
                meters.counter("llm_dispatch_account_recoveries", "account", account).increment();
            }

            @Override
            public void probed(String account, boolean ok) {
                meters.counter("llm_dispatch_health_probes", "account", account, "result", ok ? "ok" : "failed")
                        .increment();
            }

            @Override
            public void emergency(boolean active, String why) {
                meters.counter("llm_dispatch_alerts", "kind", active ? "emergency" : "emergency_resolved").increment();
            }
        };
    }

    /** Runs the probes and the emergency check on a schedule while the worker runs. */
    @Bean
    SmartLifecycle healthSchedule(HealthProber prober, EmergencyMonitor emergency, DispatchProperties properties,
            MeterRegistry meters) {
        meters.gauge("llm_dispatch_emergency", emergency, e -> e.active() ? 1 : 0);
        return new SmartLifecycle() {
            private ScheduledExecutorService timer;

            @Override
            public void start() {
                timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("health").daemon().factory());
                DispatchProperties.Health h = properties.healthSettings();
                timer.scheduleWithFixedDelay(() -> guard(emergency::check), 0, h.checkInterval().toMillis(),
                        TimeUnit.MILLISECONDS);
                timer.scheduleWithFixedDelay(() -> guard(prober::probeOnce), h.probeInterval().toMillis(),
                        Math.max(100, h.probeInterval().toMillis() / 4), TimeUnit.MILLISECONDS);
            }

            private void guard(Runnable task) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("health task failed: {}", e.toString());
                }
            }

            @Override
            public void stop() {
                if (timer != null) {
                    timer.shutdownNow();
                }
            }

            @Override
            public boolean isRunning() {
                return timer != null && !timer.isShutdown();
            }
        };
    }

    /** {@code /actuator/health}: DOWN in emergency mode; each blocked account with its reason and end. */
    @Bean
    HealthIndicator providers(AccountHealth health, Cooldowns cooldowns, EmergencyMonitor emergency) {
        return () -> {
            Map<String, Object> blocked = new LinkedHashMap<>();
            cooldowns.all().forEach((account, block) -> blocked.put(account, Map.of("reason", block.reason().name(),
                    "untilEpochMs", block.untilMillis())));
            Health.Builder builder = emergency.active() ? Health.down() : Health.up();
            return builder.withDetail("emergency", emergency.active()).withDetail("blocked", blocked)
                    .withDetail("circuits", health.circuitStates()).build();
        };
    }
}
