package dev.llmdispatch.worker.consume;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts buffered jobs in priority order on virtual threads, at most {@code maxInFlight} at once, and collects the
 * ones that ended for the consumer thread. No job starts while every provider is down (emergency mode), and none
 * of a partition being handed over ({@link #refuse}): a job is either seen running by a hand-over or never starts.
 */
final class JobStarter {

    private static final Logger log = LoggerFactory.getLogger(JobStarter.class);

    private final PriorityBuffer<PolledJob> buffer;
    private final Semaphore slots;
    private final BooleanSupplier emergency;
    private final Duration emergencyPause;
    private final Function<JobHandle, Finished> job;
    private final Predicate<PolledJob> startable;
    private final Set<JobHandle> running = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Finished> ended = new ConcurrentLinkedQueue<>();
    private final Object handover = new Object();
    private Set<TopicPartition> refused = Set.of();
    private volatile boolean stopped;
    private Thread thread;

    /**
     * @param job       runs one job to its end; must not throw
     * @param startable whether a buffered job may still start (its partition still here, and staying)
     */
    JobStarter(
            PriorityBuffer<PolledJob> buffer,
            int maxInFlight,
            BooleanSupplier emergency,
            Duration emergencyPause,
            Function<JobHandle, Finished> job,
            Predicate<PolledJob> startable) {
        this.startable = startable;
        this.buffer = buffer;
        this.slots = new Semaphore(maxInFlight);
        this.emergency = emergency;
        this.emergencyPause = emergencyPause;
        this.job = job;
    }

    void start() {
        thread = Thread.ofPlatform().name("job-starter").start(this::loop);
    }

    /** Stops starting jobs; running ones go on. */
    void stop() {
        stopped = true;
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void loop() {
        while (!stopped) {
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            PolledJob work;
            try {
                if (emergency.getAsBoolean()) {
                    // every provider is down: buffered jobs wait here, uncommitted, until one comes back
                    slots.release();
                    Thread.sleep(emergencyPause.toMillis());
                    continue;
                }
                work = buffer.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                slots.release();
                return;
            }
            if (work == null || !launch(work)) {
                slots.release();
            }
        }
    }

    private boolean launch(PolledJob work) {
        synchronized (handover) {
            if (refused.contains(work.partition()) || stopped || !startable.test(work)) {
                return false;
            }
            JobHandle handle = new JobHandle(work);
            Thread t = Thread.ofVirtual().name("job-", 0).unstarted(() -> run(handle));
            handle.runOn(t);
            running.add(handle);
            t.start();
            return true;
        }
    }

    private void run(JobHandle handle) {
        Finished finished = Finished.unfinished(handle.work());
        try {
            finished = job.apply(handle);
        } catch (RuntimeException e) {
            log.error(
                    "job at {}@{} could not be finished: {}",
                    handle.work().partition(),
                    handle.work().record().offset(),
                    e.toString());
        } finally {
            ended.add(finished);
            running.remove(handle);
            slots.release();
        }
    }

    /**
     * From now on no job of these partitions starts (an empty set lifts it); returns the jobs of theirs that run.
     */
    List<JobHandle> refuse(Collection<TopicPartition> partitions) {
        synchronized (handover) {
            refused = Set.copyOf(partitions);
            return running(partitions);
        }
    }

    List<JobHandle> running(Collection<TopicPartition> partitions) {
        return running.stream()
                .filter(h -> partitions.contains(h.work().partition()))
                .toList();
    }

    /** Jobs of these partitions still running. */
    boolean anyRunning(Collection<TopicPartition> partitions) {
        return running.stream().anyMatch(h -> partitions.contains(h.work().partition()));
    }

    /** Hands every job that ended since the last call to {@code sink}. */
    void drainEnded(Consumer<Finished> sink) {
        Finished f;
        while ((f = ended.poll()) != null) {
            sink.accept(f);
        }
    }

    /** Jobs running now. */
    int inFlight() {
        return running.size();
    }

    /** Every running job, stopped outright: used on shutdown, after the grace period. */
    void cancelAll() {
        running.forEach(JobHandle::cancel);
    }
}
