package dev.llmdispatch.worker.consume;

import dev.llmdispatch.time.Sleeper;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts buffered jobs in priority order on virtual threads, {@code maxInFlight} at once, and collects the ones that
 * ended for the consumer thread. No job starts while every provider is down (emergency mode), and none of a partition
 * being handed over ({@link #refuse}): a job is either seen running by a hand-over or never starts.
 *
 * <p>{@code maxInFlight} is shared between tenants. Once it is reached, a tenant with fewer jobs running than its share
 * ({@code maxInFlight} divided among the tenants running here, itself counted) still starts one, up to twice {@code
 * maxInFlight} in all; the others start a job when one ends and the total is below {@code maxInFlight} again. Most jobs
 * in flight under a flood are waiting for capacity, and the capacity gate's fair share can only rank jobs that reach
 * it: without this, another tenant's jobs would wait for the flood's jobs to end one by one before they could even
 * start waiting. With one tenant this is a plain limit of {@code maxInFlight}.
 */
final class JobStarter {

    private static final Logger log = LoggerFactory.getLogger(JobStarter.class);

    private final PriorityBuffer<PolledJob> buffer;
    private final int maxInFlight;
    private final Duration pollWait;
    /** Jobs running per tenant; a tenant with none is absent. */
    private final Map<String, Integer> runningByTenant = new ConcurrentHashMap<>();

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
     * @param pollWait  how long one wait for a startable job lasts before emergency mode is checked again
     */
    JobStarter(
            PriorityBuffer<PolledJob> buffer,
            int maxInFlight,
            BooleanSupplier emergency,
            Duration emergencyPause,
            Function<JobHandle, Finished> job,
            Predicate<PolledJob> startable,
            Duration pollWait) {
        this.pollWait = pollWait;
        this.startable = startable;
        this.buffer = buffer;
        this.maxInFlight = maxInFlight;
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
                if (emergency.getAsBoolean()) {
                    // every provider is down: buffered jobs wait here, uncommitted, until one comes back
                    Sleeper.SYSTEM.sleep(emergencyPause);
                    continue;
                }
                PolledJob work = buffer.poll(pollWait.toNanos(), TimeUnit.NANOSECONDS, this::mayStart);
                if (work != null) {
                    launch(work);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Whether a job of this tenant may start now (asked under the buffer's lock; only this thread starts jobs). */
    private boolean mayStart(String tenant) {
        int total = running.size();
        if (total < maxInFlight) {
            return true;
        }
        if (total >= 2 * maxInFlight) {
            return false;
        }
        Integer mine = runningByTenant.get(tenant);
        int tenants = runningByTenant.size() + (mine == null ? 1 : 0);
        return (mine == null ? 0 : mine) < Math.max(1, maxInFlight / tenants);
    }

    /** Starts the job, unless its partition is refused or gone (then it is dropped: its partition's owner runs it). */
    private void launch(PolledJob work) {
        synchronized (handover) {
            if (refused.contains(work.partition()) || stopped || !startable.test(work)) {
                return;
            }
            String tenant = work.tenant();
            JobHandle handle = new JobHandle(work);
            Thread t = Thread.ofVirtual().name("job-", 0).unstarted(() -> run(handle, tenant));
            handle.runOn(t);
            running.add(handle);
            runningByTenant.merge(tenant, 1, Integer::sum);
            try {
                t.start();
            } catch (RuntimeException | OutOfMemoryError e) {
                // no thread for it now: not started, and back at the head of the buffer
                running.remove(handle);
                runningByTenant.computeIfPresent(tenant, (k, n) -> n == 1 ? null : n - 1);
                buffer.addFirst(work.priority(), work);
                log.error(
                        "job at {}@{} could not start: {}",
                        work.partition(),
                        work.record().offset(),
                        e.toString());
            }
        }
    }

    private void run(JobHandle handle, String tenant) {
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
            // the total first: a start seen between the two counts is then one the final counts allow too
            running.remove(handle);
            runningByTenant.computeIfPresent(tenant, (t, n) -> n == 1 ? null : n - 1);
            buffer.wake();
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
