package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.worker.config.DispatchProperties;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Consumes the three job topics into a {@link PriorityBuffer} and runs the buffered jobs on virtual
 * threads, at most {@code maxInFlight} at once.
 *
 * <p>One thread owns the Kafka consumer: it polls, pauses a priority's partitions while that priority's
 * buffer is full (a paused consumer keeps polling, so there is no rebalance), and commits per partition only
 * below the lowest unfinished offset. A second thread starts buffered jobs in priority order. A job whose
 * result could not be written goes back to the buffer: nothing is committed past it.
 */
public final class PriorityConsumer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(PriorityConsumer.class);

    private final Map<String, Object> kafkaProperties;
    private final Topics topics;
    private final DispatchProperties.Consumption settings;
    private final JobProcessor processor;
    private final PriorityBuffer<Work> buffer;
    private final Semaphore slots;
    private final ConcurrentLinkedQueue<Finished> finished = new ConcurrentLinkedQueue<>();
    private final OffsetLedger ledger = new OffsetLedger();
    private final Map<Work, Thread> runningJobs = new ConcurrentHashMap<>();
    private final JobWaits waits;
    private final BooleanSupplier emergency;
    private volatile Set<TopicPartition> revoking = Set.of();
    private final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
    private final Object handover = new Object();
    private volatile boolean running;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private Thread pollThread;
    private Thread startThread;

    private record Finished(Work work, boolean done) {}

    /**
     * The jobs' waits for capacity, as far as a consumer losing partitions needs them: which job threads are
     * still waiting, and stopping those waits (the jobs then end unfinished).
     */
    public interface JobWaits {
        boolean isWaiting(Thread jobThread);

        void cancel(Collection<Thread> jobThreads);
    }

    /**
     * @param waits the capacity waits of the jobs, cancelled for jobs whose partitions move to another worker
     */
    public PriorityConsumer(Map<String, Object> kafkaProperties, Topics topics,
            DispatchProperties.Consumption settings, JobProcessor processor, BooleanSupplier emergency,
            JobWaits waits) {
        this.waits = waits;
        this.emergency = emergency;
        this.kafkaProperties = new HashMap<>(kafkaProperties);
        this.topics = topics;
        this.settings = settings;
        this.processor = processor;
        this.buffer = new PriorityBuffer<>(settings.minShareMedium(), settings.minShareLow());
        this.slots = new Semaphore(settings.maxInFlight());
    }

    @Override
    public void start() {
        Map<String, Object> props = new HashMap<>(kafkaProperties);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.putIfAbsent(ConsumerConfig.GROUP_ID_CONFIG, "llm-dispatch-workers");
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(10, settings.bufferPerPriority()));
        // a worker joining or leaving moves only the partitions it must
        props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        running = true;
        pollThread = Thread.ofPlatform().name("job-consumer").start(this::pollLoop);
        startThread = Thread.ofPlatform().name("job-starter").start(this::startLoop);
        log.info("consuming {} (max {} jobs in flight, {} buffered per priority)", topics.jobTopics(),
                settings.maxInFlight(), settings.bufferPerPriority());
    }

    private void pollLoop() {
        try {
            consumer.subscribe(topics.jobTopics(), new Rebalance());
            while (running) {
                applyFinished();
                commit(ledger.takeCommittable());
                pauseFullPriorities();
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(settings.pollTimeout())) {
                    Priority priority = topics.priorityOf(record.topic());
                    Work work = new Work(record, priority, System.nanoTime());
                    ledger.started(work.partition(), record.offset());
                    buffer.add(priority, work);
                }
            }
        } catch (WakeupException e) {
            // stopping
        } catch (RuntimeException e) {
            log.error("job consumer failed; stopping consumption", e);
        } finally {
            drainOnStop();
        }
    }

    private void startLoop() {
        while (running) {
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            Work work;
            try {
                if (emergency.getAsBoolean()) {
                    // every provider is down: buffered jobs wait here, uncommitted, until one comes back
                    slots.release();
                    Thread.sleep(settings.pollTimeout().toMillis());
                    continue;
                }
                work = buffer.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                slots.release();
                return;
            }
            if (work == null) {
                slots.release();
                continue;
            }
            // registered before it starts, under the same lock as a revocation's look at what is running:
            // a job of a partition being revoked either is seen (and waited for) or never starts here
            synchronized (handover) {
                if (revoking.contains(work.partition())) {
                    slots.release();
                    continue;
                }
                Thread thread = Thread.ofVirtual().name("job-", 0).unstarted(() -> run(work));
                runningJobs.put(work, thread);
                thread.start();
            }
        }
    }

    private void run(Work work) {
        boolean done = false;
        try {
            done = processor.process(work);
        } catch (RuntimeException e) {
            log.error("job at {}@{} could not be finished: {}", work.partition(), work.record().offset(), e.toString());
        } finally {
            runningJobs.remove(work);
            slots.release();
            finished.add(new Finished(work, done));
        }
    }

    private void applyFinished() {
        Finished f;
        while ((f = finished.poll()) != null) {
            if (f.done()) {
                ledger.finished(f.work().partition(), f.work().record().offset());
            } else if (running && consumer.assignment().contains(f.work().partition())
                    && !revoking.contains(f.work().partition())) {
                buffer.addFirst(f.work().priority(), f.work());
            }
        }
    }

    private void pauseFullPriorities() {
        Set<TopicPartition> toPause = new HashSet<>();
        Set<TopicPartition> toResume = new HashSet<>();
        Set<TopicPartition> paused = consumer.paused();
        boolean emergencyNow = emergency.getAsBoolean();
        for (TopicPartition tp : consumer.assignment()) {
            Priority priority = topics.priorityOf(tp.topic());
            int size = buffer.size(priority);
            if (emergencyNow) {
                // every provider is down: jobs wait safely in Kafka, not here
                if (!paused.contains(tp)) {
                    toPause.add(tp);
                }
            } else if (size >= settings.bufferPerPriority()) {
                if (!paused.contains(tp)) {
                    toPause.add(tp);
                }
            } else if (paused.contains(tp) && size <= settings.bufferPerPriority() / 2) {
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

    private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (!offsets.isEmpty()) {
            consumer.commitAsync(offsets, (committed, error) -> {
                if (error != null) {
                    // during a rebalance this is expected; the same positions are offered again
                    log.debug("offset commit failed, will retry: {}", error.toString());
                    ledger.commitFailed(offsets);
                }
            });
        }
    }

    private void drainOnStop() {
        try {
            long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
            // jobs in flight finish and publish; buffered ones stay uncommitted for the next owner
            while (slots.availablePermits() < settings.maxInFlight() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            applyFinished();
            Map<TopicPartition, OffsetAndMetadata> offsets = ledger.positions(consumer.assignment());
            if (!offsets.isEmpty()) {
                consumer.commitSync(offsets, Duration.ofSeconds(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("final offset commit failed: {}", e.toString());
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Records buffered, by priority: for metrics and tests. */
    public int buffered(Priority priority) {
        return buffer.size(priority);
    }

    public int inFlight() {
        return settings.maxInFlight() - slots.availablePermits();
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            if (revoked.isEmpty()) {
                return;
            }
            owned.removeAll(revoked);
            Map<Work, Thread> moving;
            synchronized (handover) {
                revoking = Set.copyOf(revoked);
                // buffered work of these partitions is left to the next owner
                buffer.removeIf(w -> revoked.contains(w.partition()));
                moving = new HashMap<>();
                runningJobs.forEach((w, t) -> {
                    if (revoked.contains(w.partition())) {
                        moving.put(w, t);
                    }
                });
            }
            applyFinished();
            // The next owner starts at the lowest unfinished offset and redoes everything above it. So jobs
            // above the highest offset that is finished or already at a provider, and still waiting for
            // capacity, are handed over at once; the others finish here first, so that none is done twice.
            Map<TopicPartition, Long> keep = new HashMap<>();
            moving.forEach((w, t) -> {
                long f = waits.isWaiting(t) ? -1 : w.record().offset();
                keep.merge(w.partition(), Math.max(f, ledger.maxFinished(w.partition())), Math::max);
            });
            waits.cancel(moving.entrySet().stream()
                    .filter(e -> e.getKey().record().offset() > keep.get(e.getKey().partition()))
                    .map(Map.Entry::getValue).toList());
            long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
            while (moving.keySet().stream().anyMatch(runningJobs::containsKey) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            applyFinished();
            Map<TopicPartition, OffsetAndMetadata> offsets = ledger.positions(revoked);
            if (!offsets.isEmpty()) {
                try {
                    consumer.commitSync(offsets, Duration.ofSeconds(10));
                } catch (RuntimeException e) {
                    log.warn("commit on revocation failed: {}", e.toString());
                }
            }
            ledger.forget(revoked);
            revoking = Set.of();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            owned.addAll(assigned);
            log.info("assigned {}", assigned);
        }
    }

    /** The job partitions this worker owns now. */
    public Set<TopicPartition> assignment() {
        return Set.copyOf(owned);
    }

    @Override
    public void stop() {
        running = false;
        if (startThread != null) {
            startThread.interrupt();
        }
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
        runningJobs.values().forEach(Thread::interrupt);
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
