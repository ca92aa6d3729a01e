package dev.llmdispatch.worker.ops;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.capacity.CapacityGate;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.resilience.AccountHealth;
import dev.llmdispatch.dispatch.resilience.Cooldowns;
import dev.llmdispatch.dispatch.resilience.EmergencyMonitor;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The fleet as one worker sees it now: per account its limits and live use across the fleet (requests in the
 * current window, in flight), cooldown and circuit; queue lag per priority for the workers' group; emergency
 * flag; this worker's own queues.
 */
public final class FleetStatus {

    private final DispatchSettings settings;
    private final CapacityGate gate;
    private final Cooldowns cooldowns;
    private final AccountHealth health;
    private final EmergencyMonitor emergency;
    private final PriorityConsumer consumer;
    private final KafkaQueues queues;

    public FleetStatus(
            DispatchSettings settings,
            CapacityGate gate,
            Cooldowns cooldowns,
            AccountHealth health,
            EmergencyMonitor emergency,
            PriorityConsumer consumer,
            KafkaQueues queues) {
        this.settings = settings;
        this.gate = gate;
        this.cooldowns = cooldowns;
        this.health = health;
        this.emergency = emergency;
        this.consumer = consumer;
        this.queues = queues;
    }

    /** The status as JSON-ready maps and lists (what {@code GET /admin/status} answers). */
    public Map<String, Object> snapshot() throws InterruptedException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("emergency", emergency.active());
        List<Map<String, Object>> accounts = new ArrayList<>();
        for (Map.Entry<String, ProviderSettings> p : settings.providers().entrySet()) {
            for (AccountSettings a : p.getValue().accounts()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("account", a.id());
                row.put("provider", p.getKey());
                row.put("enabled", a.enabled());
                row.put("requests", a.limits().requests());
                row.put(
                        "per",
                        a.limits().per() == null ? null : a.limits().per().toString());
                row.put("concurrency", a.limits().concurrency());
                if (a.enabled()) {
                    long left = gate.requestPermitsLeft(a.id());
                    row.put(
                            "windowUsed",
                            a.limits().requests() == null ? null : a.limits().requests() - left);
                    row.put("inFlight", gate.inFlight(a.id()));
                    long rebuilding = gate.rebuildingMillis(a.id());
                    if (rebuilding > 0) {
                        row.put("limitStateRebuildingMs", rebuilding); // after the state vanished from Redis
                    }
                    Long quota = gate.tokenQuota(a.id());
                    if (quota != null) {
                        row.put("tokens", quota);
                        row.put(
                                "tokensPer",
                                a.limits().tokensPer() == null
                                        ? null
                                        : a.limits().tokensPer().toString());
                        row.put("tokensUsed", Math.max(0, quota - gate.tokenPermitsLeft(a.id())));
                    }
                    cooldowns
                            .blocked(a.id())
                            .ifPresent(b -> row.put(
                                    "blocked",
                                    Map.of(
                                            "reason",
                                            b.reason().name(),
                                            "until",
                                            Instant.ofEpochMilli(b.untilMillis())
                                                    .toString())));
                    row.put(
                            "circuit",
                            health.circuitStates()
                                    .getOrDefault(a.id(), CircuitBreaker.State.CLOSED)
                                    .name());
                }
                accounts.add(row);
            }
        }
        out.put("accounts", accounts);
        try {
            out.put("queueLag", queues.lag());
        } catch (ExecutionException | TimeoutException e) {
            // Kafka unreachable: the rest (from Redis and this worker) is still worth showing
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            out.put("queueLag", null);
            out.put("queueLagError", cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }
        Map<String, Integer> buffered = new LinkedHashMap<>();
        for (Priority p : Priority.values()) {
            buffered.put(p.name(), consumer.buffered(p));
        }
        out.put(
                "thisWorker",
                Map.of("buffered", buffered, "inFlight", consumer.inFlight(), "waitingForCapacity", gate.waiting()));
        return out;
    }
}
