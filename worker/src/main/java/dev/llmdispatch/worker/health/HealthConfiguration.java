package dev.llmdispatch.worker.health;

import dev.llmdispatch.api.FleetState;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.Capacity;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.dispatch.HealthEvents;
import dev.llmdispatch.dispatch.ProviderHealth;
import dev.llmdispatch.worker.config.DispatchProperties;
import dev.llmdispatch.worker.config.PeriodicTask;
import dev.llmdispatch.worker.observe.Metrics;
import dev.llmdispatch.worker.ops.FleetStatePublisher;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Health probes, the emergency check, the health endpoint's view of the accounts, and health metrics. */
@Configuration(proxyBeanMethods = false)
public class HealthConfiguration {

    @Bean
    HealthEvents healthEvents(
            Metrics metrics,
            DispatchProperties properties,
            ObjectProvider<AccountBlocks> blocks,
            Clock clock,
            ObjectProvider<Emergency> monitor,
            ObjectProvider<FleetStatePublisher> publisher) {
        return new HealthEvents() {
            @Override
            public void emergencyFlagChanged(boolean raised) {
                long now = clock.millis();
                FleetState state = raised
                        ? new FleetState(
                                true,
                                "every provider is down: "
                                        + blocks.getObject().all().entrySet().stream()
                                                .sorted(Map.Entry.comparingByKey())
                                                .map(e -> e.getKey() + " "
                                                        + e.getValue().reason())
                                                .collect(Collectors.joining(", ")),
                                Instant.ofEpochMilli(now),
                                monitor.getObject().retryAfterSeconds(now))
                        : new FleetState(false, "a provider is available again", Instant.ofEpochMilli(now), 0);
                publisher.getObject().publish(state);
            }

            @Override
            public void accountDisabled(String account, String why) {
                metrics.alert("account_disabled", account);
            }

            @Override
            public void circuitOpened(String account, String why) {
                metrics.alert("circuit_opened", account);
            }

            @Override
            public void accountRecovered(String account) {
                metrics.accountRecovered(account);
            }

            @Override
            public void probed(String account, boolean ok) {
                metrics.probed(account, ok);
            }

            @Override
            public void emergency(boolean active, String why) {
                metrics.alert(active ? "emergency" : "emergency_resolved", null);
            }
        };
    }

    /** Checks for emergency mode on a schedule while the worker runs. */
    @Bean
    PeriodicTask emergencyCheck(Emergency emergency, DispatchProperties properties, MeterRegistry meters) {
        meters.gauge(Metrics.EMERGENCY, emergency, e -> e.active() ? 1 : 0);
        Duration every = properties.health().checkInterval();
        return new PeriodicTask("emergency-check", Duration.ZERO, every, emergency::check);
    }

    /**
     * Before the first job is consumed: one {@code GET /models} per provider, logged (an unreachable provider or a
     * refused key shows at startup, not with the first job), which also readies the HTTP client.
     */
    @Bean
    SmartLifecycle providerCheck(ProviderHealth prober) {
        return new SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                prober.checkProviders(Duration.ofSeconds(5));
                running = true;
            }

            @Override
            public void stop() {
                running = false;
            }

            @Override
            public boolean isRunning() {
                return running;
            }

            @Override
            public int getPhase() {
                return Integer.MAX_VALUE - 200; // before the job consumer starts
            }
        };
    }

    /** Probes blocked accounts on a schedule (each account once per probe interval across the fleet). */
    @Bean
    PeriodicTask healthProbes(ProviderHealth prober, DispatchProperties properties) {
        Duration interval = properties.health().probeInterval();
        Duration every = Duration.ofMillis(Math.max(100, interval.toMillis() / 4));
        return new PeriodicTask("health-probes", interval, every, prober::probeOnce);
    }

    /** {@code /actuator/health}: DOWN in emergency mode; each blocked account with its reason and end. */
    @Bean
    HealthIndicator providers(ProviderHealth health, AccountBlocks cooldowns, Emergency emergency) {
        return () -> {
            Map<String, Object> blocked = new LinkedHashMap<>();
            cooldowns
                    .all()
                    .forEach((account, block) -> blocked.put(
                            account, Map.of("reason", block.reason().name(), "untilEpochMs", block.untilMillis())));
            Health.Builder builder = emergency.active() ? Health.down() : Health.up();
            // the limit state rebuilding after it vanished from Redis is the limitState indicator's (one Redis read
            // per account and health call)
            return builder.withDetail("emergency", emergency.active())
                    .withDetail("blocked", blocked)
                    .withDetail("circuits", health.circuitStates())
                    .build();
        };
    }

    /**
     * {@code /actuator/health/readiness} (with {@code providers}, DOWN in emergency mode): OUT_OF_SERVICE while the
     * limit state of some account rebuilds after it vanished from Redis (that account grants nothing until it has), or
     * while Redis does not answer. Liveness leaves both out: a worker that waits for Redis or a provider is alive, and
     * restarting it would not help.
     */
    @Bean
    HealthIndicator limitState(Capacity gate) {
        return () -> {
            Map<String, Object> rebuilding = new LinkedHashMap<>();
            try {
                for (String account : new TreeSet<>(gate.accountIds())) {
                    long left = gate.usage(account).rebuildingMillis();
                    if (left > 0) {
                        rebuilding.put(account, left);
                    }
                }
            } catch (RuntimeException e) {
                return Health.outOfService()
                        .withDetail("redis", "does not answer: " + e.getMessage())
                        .build();
            }
            return (rebuilding.isEmpty() ? Health.up() : Health.outOfService())
                    .withDetail("rebuildingMsLeft", rebuilding)
                    .build();
        };
    }
}
