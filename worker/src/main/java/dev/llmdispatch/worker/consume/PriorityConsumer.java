package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.worker.config.DispatchProperties;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Consumes the three job topics, runs their jobs ({@link JobStarter}) and commits their outcomes with their offsets
 * in Kafka transactions ({@link ResultCommitter}, {@link OffsetLedger}); gives partitions up through a
 * {@link Handover}.
 *
 * <p>One thread owns the Kafka consumer: it polls, skips what an earlier owner finished, buffers the rest by
 * priority (pausing a priority's partitions while its buffer is full: a paused consumer keeps polling, so there is no
 * rebalance), and commits. Jobs that ended unfinished go back to the head of their priority.
 */
public final class PriorityConsumer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(PriorityConsumer.class);
    /** Room for a hand-over's cancellations and commits, and for the poll after it, in max.poll.interval.ms. */
    private static final Duration POLL_MARGIN = Duration.ofSeconds(30);
    /** A priority's buffer holds up to this many times its size while tenants are held for their budgets. */
    private static final int HELD_BUFFERS = 4;

    private final Map<String, Object> kafkaProperties;
    private final Topics topics;
    private final DispatchProperties.Consumption settings;
    private final PriorityBuffer<PolledJob> buffer;
    private final OffsetLedger ledger = new OffsetLedger();
    private final JobStarter starter;
    private final Handover handover;
    private final ResultCommitter committer;
    private final BooleanSupplier emergency;
    private final Duration callWait;
    private final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
    /** Each partition's current assignment here: see {@link PolledJob#ownership}. */
    private final Map<TopicPartition, Long> ownership = new ConcurrentHashMap<>();

    private long assignments;
    private volatile Set<TopicPartition> moving = Set.of();
    private volatile boolean running;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private Thread pollThread;

    /**
     * @param longestCall the longest a provider call may take: a hand-over waits that long (and a little more) for
     *                    calls under way
     * @param producers   makes the transactional producer that writes outcomes
     * @param tenantWeights the tenants' fair-share weights, for their turns in a priority's buffer
     */
    public PriorityConsumer(
            Map<String, Object> kafkaProperties,
            Topics topics,
            DispatchProperties.Consumption settings,
            JobProcessor processor,
            BooleanSupplier emergency,
            Handover.Waits waits,
            Duration longestCall,
            Supplier<Producer<String, byte[]>> producers,
            ToIntFunction<String> tenantWeights) {
        this.kafkaProperties = new HashMap<>(kafkaProperties);
        this.topics = topics;
        this.settings = settings;
        this.emergency = emergency;
        this.buffer = new PriorityBuffer<>(
                settings.minShareMedium(), settings.minShareLow(), PolledJob::tenant, tenantWeights);
        this.starter = new JobStarter(
                buffer,
                settings.maxInFlight(),
                emergency,
                settings.pollTimeout(),
                processor::process,
                w -> current(w) && !moving.contains(w.partition()),
                Duration.ofMillis(200));
        this.handover = new Handover(starter, buffer, waits);
        this.committer = new ResultCommitter(
                producers,
                ledger,
                settings.commitInterval(),
                processor::undeliverable,
                this::current,
                processor::unwritableNow);
        this.callWait = callWait(longestCall);
    }

    /** How long a hand-over waits for calls under way: the longest call and 5 s, inside max.poll.interval.ms. */
    private Duration callWait(Duration longestCall) {
        Duration wanted = longestCall.plusSeconds(5);
        Object configured = kafkaProperties.get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
        if (configured == null) {
            long needed = wanted.plus(POLL_MARGIN).toMillis();
            kafkaProperties.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Math.max(300_000, needed));
            return wanted;
        }
        Duration room = Duration.ofMillis(Long.parseLong(configured.toString())).minus(POLL_MARGIN);
        if (room.compareTo(wanted) < 0) {
            log.warn(
                    "max.poll.interval.ms ({} ms) leaves {} for calls under way to finish when a partition moves, "
                            + "less than the longest call timeout and 5 s ({}): longer calls are cancelled and run again on "
                            + "the partition's next owner",
                    configured,
                    room,
                    wanted);
            return room.isNegative() ? Duration.ofSeconds(1) : room;
        }
        return wanted;
    }

    @Override
    public void start() {
        Map<String, Object> props = new HashMap<>(kafkaProperties);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // jobs of an aborted transaction (a replay that failed half-way) are never run
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.putIfAbsent(ConsumerConfig.GROUP_ID_CONFIG, Topics.DEFAULT_WORKER_GROUP);
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(10, settings.bufferPerPriority()));
        // a worker joining or leaving moves only the partitions it must
        props.putIfAbsent(
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        running = true;
        starter.start();
        pollThread = Thread.ofPlatform().name("job-consumer").start(this::pollLoop);
        log.info(
                "consuming {} (max {} jobs in flight, {} buffered per priority, outcomes committed every {}, "
                        + "calls under way get {} when a partition moves)",
                topics.jobTopics(),
                settings.maxInFlight(),
                settings.bufferPerPriority(),
                settings.commitInterval(),
                callWait);
    }

    private void pollLoop() {
        try {
            consumer.subscribe(topics.jobTopics(), new Rebalance());
            while (running) {
                try {
                    pollOnce();
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // the broker away during a rebalance, say: the consumer goes on where it was
                    log.error("job consumer: {}; going on in 1 s", e.toString());
                    Sleeper.SYSTEM.sleepMillis(1_000);
                }
            }
        } catch (WakeupException e) {
            // stopping
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            shutDown();
        }
    }

    private void pollOnce() {
        collectEnded();
        committer.commit(consumer::groupMetadata, false);
        pauseFullPartitions();
        // polls briefly, so that outcomes are committed every commit interval
        Duration timeout = committer.pending() > 0 ? settings.commitInterval() : settings.pollTimeout();
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            Long owner = ownership.get(tp);
            if (owner != null && ledger.started(tp, record.offset())) {
                Priority priority = topics.priorityOf(record.topic());
                buffer.add(priority, new PolledJob(record, priority, owner));
            }
        }
        // past the transactions' markers the poll stepped over: a position known here is read without a broker call
        for (TopicPartition tp : ownership.keySet()) {
            try {
                ledger.polledUpTo(tp, consumer.position(tp, Duration.ZERO));
            } catch (KafkaException | IllegalStateException e) {
                // no position yet (not fetched since the assignment), or no longer assigned: nothing stepped over
            }
        }
    }

    /** Jobs that ended: outcomes to the committer; unfinished ones of partitions still here back to the buffer. */
    private void collectEnded() {
        starter.drainEnded(f -> {
            TopicPartition tp = f.work().partition();
            if (!current(f.work())) {
                return; // its partition left while it ran: the next owner answers it (its claim kept them apart)
            }
            if (f.done()) {
                committer.add(f);
            } else if (running && !moving.contains(tp)) {
                if (f.hold() != null) {
                    buffer.hold(f.work().priority(), f.work(), f.hold());
                } else {
                    buffer.addFirst(f.work().priority(), f.work());
                }
            }
        });
    }

    /** Whether the job was polled under its partition's current assignment here. */
    private boolean current(PolledJob work) {
        Long now = ownership.get(work.partition());
        return now != null && now == work.ownership() && owned.contains(work.partition());
    }

    private void commitNow() {
        collectEnded();
        committer.commit(consumer::groupMetadata, true);
    }

    private void pauseFullPartitions() {
        Set<TopicPartition> toPause = new HashSet<>();
        Set<TopicPartition> toResume = new HashSet<>();
        Set<TopicPartition> paused = consumer.paused();
        boolean emergencyNow = emergency.getAsBoolean();
        for (TopicPartition tp : consumer.assignment()) {
            Priority priority = topics.priorityOf(tp.topic());
            int all = buffer.size(priority);
            // jobs of tenants held for a budget do not count (the other tenants' jobs go on), up to a bound
            int size = all - buffer.held(priority);
            // every provider down: jobs wait safely in Kafka, not here; a buffer full; or a job so far behind the
            // others that a commit could not describe what is finished after it
            boolean full = emergencyNow
                    || size >= settings.bufferPerPriority()
                    || all >= HELD_BUFFERS * settings.bufferPerPriority()
                    || ledger.spanFull(tp);
            if (full && !paused.contains(tp)) {
                toPause.add(tp);
            } else if (!full && paused.contains(tp) && size <= settings.bufferPerPriority() / 2) {
                toResume.add(tp);
            }
        }
        if (!toPause.isEmpty()) {
            consumer.pause(toPause);
        }
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
    }

    private void shutDown() {
        try {
            starter.stop();
            Set<TopicPartition> all = Set.copyOf(owned);
            moving = all;
            log.info(
                    "stopping: {} jobs under way (those at a provider get up to {} to finish; those not sent yet go "
                            + "back to Kafka for the other workers)",
                    starter.inFlight(),
                    settings.shutdownTimeout());
            int cancelled = handover.revoke(all, settings.shutdownTimeout(), this::commitNow);
            if (cancelled > 0) {
                log.info(
                        "stopped with {} calls cancelled; their jobs run again on the partitions' next owners",
                        cancelled);
            } else {
                log.info("stopped: every call under way finished and its outcome committed");
            }
            ledger.forget(all);
        } catch (RuntimeException e) {
            log.warn("final commit failed: {}", e.toString());
        } finally {
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            } finally {
                committer.close();
            }
        }
    }

    /** Records buffered, by priority: for metrics and tests. */
    public int buffered(Priority priority) {
        return buffer.size(priority);
    }

    public int inFlight() {
        return starter.inFlight();
    }

    /** Transactions committed (each: the outcomes of the jobs that ended since the last, with their offsets). */
    public long transactions() {
        return committer.transactions();
    }

    /** The job partitions this worker owns now. */
    public Set<TopicPartition> assignment() {
        return Set.copyOf(owned);
    }

    /** Gives partitions up: {@code endJobs} ends their jobs here, then nothing of theirs is kept. */
    private void leave(Collection<TopicPartition> partitions, Runnable endJobs) {
        moving = Set.copyOf(partitions);
        try {
            endJobs.run();
        } finally {
            owned.removeAll(partitions);
            partitions.forEach(ownership::remove);
            ledger.forget(partitions);
            committer.forget(partitions);
            moving = Set.of();
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            if (revoked.isEmpty() || !running) {
                return;
            }
            leave(revoked, () -> handover.revoke(revoked, callWait, PriorityConsumer.this::commitNow));
            log.info("handed over {}", revoked);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            if (assigned.isEmpty()) {
                return;
            }
            // where the last owner stopped, and what it finished above that: without it, jobs it finished would be
            // answered twice, so it is asked until the broker answers
            Map<TopicPartition, OffsetAndMetadata> committed = null;
            while (committed == null) {
                try {
                    committed = consumer.committed(Set.copyOf(assigned));
                } catch (TimeoutException e) {
                    log.warn("reading the committed offsets of {} timed out; asking again", assigned);
                }
            }
            Map<TopicPartition, OffsetAndMetadata> found = committed;
            assigned.forEach(tp -> {
                ledger.seed(tp, found.get(tp));
                ownership.put(tp, ++assignments);
            });
            owned.addAll(assigned);
            log.info("assigned {}", assigned);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            leave(lost, () -> handover.lose(lost));
            log.warn("lost {} (this worker was out of the group): their jobs run on their next owners", lost);
        }
    }

    @Override
    public void stop() {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            if (pollThread != null) {
                pollThread.join(settings.shutdownTimeout().plusSeconds(20).toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        starter.cancelAll();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        // stop before the producer and the HTTP client the jobs use
        return Integer.MAX_VALUE - 100;
    }
}
