package dev.llmdispatch.worker.ops;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.RedisKeys;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.redisson.api.RMap;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When emergency mode ends, puts the jobs dead-lettered as {@code EMERGENCY} back on their priority topics, without an
 * operator: run by the one worker that lowered the flag. Each dead letter is replayed once: how far each partition of
 * the dead-letter topic has been replayed is kept in Redis, and only letters past that mark go back. Jobs that failed
 * otherwise ({@code ALL_PROVIDERS_FAILED}, ...) wait for ops, as before.
 */
public final class EmergencyReplay {

    private static final Logger log = LoggerFactory.getLogger(EmergencyReplay.class);

    private final Map<String, Object> kafkaClient;
    private final Topics topics;
    private final RMap<String, String> marks;

    /** @param kafkaClient the deployment's Kafka client properties (bootstrap servers, security) */
    public EmergencyReplay(Map<String, Object> kafkaClient, Topics topics, RedissonClient redis, String keyPrefix) {
        this.kafkaClient = kafkaClient;
        this.topics = topics;
        this.marks = redis.getMap(RedisKeys.of(keyPrefix).emergencyReplayed(), StringCodec.INSTANCE);
    }

    /** Starts the replay on a thread of its own (reading the dead-letter topic takes a while). */
    public void start() {
        Thread.ofVirtual().name("emergency-replay").start(this::replay);
    }

    /** Replays the {@code EMERGENCY} dead letters not replayed before; returns how many went back. */
    public int replay() {
        try (DeadLetters dlq = new DeadLetters(kafkaClient, topics)) {
            DeadLetters.Filter emergency =
                    new DeadLetters.Filter(null, Set.of(DeadLetterReason.EMERGENCY), null, null, null);
            Map<String, String> done = marks.readAllMap();
            List<DeadLetters.Entry> fresh = dlq.list(emergency).stream()
                    .filter(e -> e.jobId() != null)
                    .filter(e -> e.offset() >= Long.parseLong(done.getOrDefault(Integer.toString(e.partition()), "0")))
                    .toList();
            if (fresh.isEmpty()) {
                return 0;
            }
            Set<String> ids = fresh.stream().map(DeadLetters.Entry::jobId).collect(Collectors.toSet());
            DeadLetters.Report report = dlq.replay(
                    new DeadLetters.Filter(ids, Set.of(DeadLetterReason.EMERGENCY), null, null, null), false, null);
            Map<String, String> next = new HashMap<>();
            fresh.forEach(e -> next.merge(
                    Integer.toString(e.partition()),
                    Long.toString(e.offset() + 1),
                    (a, b) -> Long.parseLong(a) >= Long.parseLong(b) ? a : b));
            marks.putAll(next);
            log.warn(
                    "emergency mode over: {} jobs dead-lettered as EMERGENCY put back on their topics by themselves{}",
                    report.replayed().size(),
                    report.skipped().isEmpty() ? "" : "; left alone: " + report.skipped());
            return report.replayed().size();
        } catch (RuntimeException e) {
            log.error(
                    "emergency mode over, but its dead letters could not be replayed ({}): replay them with "
                            + "`llm-dispatch dlq replay --reason EMERGENCY`",
                    e.toString());
            return 0;
        }
    }
}
