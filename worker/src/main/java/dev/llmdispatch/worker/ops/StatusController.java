package dev.llmdispatch.worker.ops;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.capacity.CapacityGate;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.resilience.AccountHealth;
import dev.llmdispatch.dispatch.resilience.Cooldowns;
import dev.llmdispatch.dispatch.resilience.EmergencyMonitor;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /admin/status}: per account its limits and live use across the fleet (requests in the current
 * window, in flight), cooldown and circuit; queue lag per priority for the workers' group; emergency flag.
 * What {@code llm-dispatch status} prints.
 */
@RestController
public class StatusController {

    private final DispatchSettings settings;
    private final CapacityGate gate;
    private final Cooldowns cooldowns;
    private final AccountHealth health;
    private final EmergencyMonitor emergency;
    private final PriorityConsumer consumer;
    private final KafkaProperties kafka;
    private final Topics topics;

    public StatusController(DispatchSettings settings, CapacityGate gate, Cooldowns cooldowns, AccountHealth health,
            EmergencyMonitor emergency, PriorityConsumer consumer, KafkaProperties kafka, Topics topics) {
        this.settings = settings;
        this.gate = gate;
        this.cooldowns = cooldowns;
        this.health = health;
        this.emergency = emergency;
        this.consumer = consumer;
        this.kafka = kafka;
        this.topics = topics;
    }

    @GetMapping(path = "/admin/status", produces = MediaType.APPLICATION_JSON_VALUE)
    public String status() throws Exception {
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
                row.put("per", a.limits().per() == null ? null : a.limits().per().toString());
                row.put("concurrency", a.limits().concurrency());
                if (a.enabled()) {
                    long left = gate.requestPermitsLeft(a.id());
                    row.put("windowUsed", a.limits().requests() == null ? null : a.limits().requests() - left);
                    row.put("inFlight", gate.inFlight(a.id()));
                    cooldowns.blocked(a.id()).ifPresent(b -> row.put("blocked", Map.of("reason", b.reason().name(),
                            "until", Instant.ofEpochMilli(b.untilMillis()).toString())));
                    row.put("circuit", health.circuitStates().getOrDefault(a.id(),
                            io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED).name());
                }
                accounts.add(row);
            }
        }
        out.put("accounts", accounts);
        out.put("queueLag", lag());
        Map<String, Integer> buffered = new LinkedHashMap<>();
        for (Priority p : Priority.values()) {
            buffered.put(p.name(), consumer.buffered(p));
        }
        out.put("thisWorker", Map.of("buffered", buffered, "inFlight", consumer.inFlight(), "waitingForCapacity",
                gate.waiting()));
        return JobCodec.toJson(out);
    }

    /** Records on each priority's topic not yet committed by the workers' group. */
    private Map<String, Long> lag() throws Exception {
        String group = String.valueOf(kafka.buildConsumerProperties().getOrDefault("group.id", "llm-dispatch-workers"));
        try (Admin admin = Admin.create(kafka.buildAdminProperties())) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            for (String topic : topics.jobTopics()) {
                admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                        .forEach(p -> ends.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            }
            Map<String, Long> lag = new LinkedHashMap<>();
            for (Priority p : Priority.values()) {
                lag.put(p.name(), 0L);
            }
            admin.listOffsets(ends).all().get().forEach((tp, end) -> {
                OffsetAndMetadata c = committed.get(tp);
                lag.merge(topics.priorityOf(tp.topic()).name(), end.offset() - (c == null ? 0 : c.offset()), Long::sum);
            });
            return lag;
        }
    }
}
