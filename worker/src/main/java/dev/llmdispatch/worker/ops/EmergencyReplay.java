package dev.llmdispatch.worker.ops;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.store.redis.RedisKeys;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *
 * <p>The flag comes down as soon as one account is back, while the others' probes may still be backing off: a job
 * replayed then, whose accounts are all still in an outage, would fail again as {@code ALL_PROVIDERS_FAILED} and wait
 * for ops. So the replay first waits, up to {@code patience}, until no account is in an outage (an open circuit, which
 * a probe ends); what is still out then is out for longer, and its jobs fail over or fail as they would at any time.
 */
public final class EmergencyReplay {

    private static final Logger log = LoggerFactory.getLogger(EmergencyReplay.class);

    private final Map<String, Object> kafkaClient;
    private final Topics topics;
    private final RMap<String, String> marks;
    private final AccountBlocks cooldowns;
    private final Duration patience;
    private final Duration look;
    private final AtomicBoolean replaying = new AtomicBoolean();

    /**
     * @param kafkaClient the deployment's Kafka client properties (bootstrap servers, security)
     * @param cooldowns   the fleet's blocks, to see whether any account is still in an outage
     * @param patience    the longest the replay waits for accounts in an outage to come back
     * @param look        how often it looks
     */
    public EmergencyReplay(
            Map<String, Object> kafkaClient,
            Topics topics,
            RedissonClient redis,
            String keyPrefix,
            AccountBlocks cooldowns,
            Duration patience,
            Duration look) {
        this.kafkaClient = kafkaClient;
        this.topics = topics;
        this.marks = redis.getMap(RedisKeys.of(keyPrefix).emergencyReplayed(), StringCodec.INSTANCE);
        this.cooldowns = cooldowns;
        this.patience = patience;
        this.look = look;
    }

    /** Waits, up to the patience, until no account is in an outage; returns those still in one. */
    private List<String> awaitOutagesOver() throws InterruptedException {
        long deadline = Ticker.SYSTEM.deadline(patience);
        while (true) {
            List<String> out = cooldowns.all().entrySet().stream()
                    .filter(e -> e.getValue().reason() == BlockReason.CIRCUIT_OPEN)
                    .map(Map.Entry::getKey)
                    .sorted()
                    .toList();
            if (out.isEmpty() || Ticker.SYSTEM.passed(deadline)) {
                return out;
            }
            Sleeper.SYSTEM.sleep(look);
        }
    }

    /** Starts the replay on a thread of its own (reading the dead-letter topic takes a while). */
    public void start() {
        // one replay at a time here: one still waiting for the outage to end (the flag flapping meanwhile) lists the
        // dead letters when it goes, so a second would only put the same jobs back twice
        if (!replaying.compareAndSet(false, true)) {
            return;
        }
        Thread.ofVirtual().name("emergency-replay").start(() -> {
            try {
                replay();
            } finally {
                replaying.set(false);
            }
        });
    }

    /** Replays the {@code EMERGENCY} dead letters not replayed before; returns how many went back. */
    public int replay() {
        try {
            List<String> stillOut = awaitOutagesOver();
            if (!stillOut.isEmpty()) {
                log.warn(
                        "emergency mode over; accounts {} still in an outage after {}: the EMERGENCY dead letters go "
                                + "back all the same (their jobs fail over, or fail as at any time)",
                        stillOut,
                        patience);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
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
