package dev.llmdispatch.worker.consume;

import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives partitions up so that no job of theirs can run twice: by the time {@link #revoke} returns, every job of
 * those partitions has ended here, and the outcomes that ended are committed (as far as Kafka lets them be).
 *
 * <ul>
 * <li>Buffered jobs are dropped and no new job of theirs starts: the next owner runs them.</li>
 * <li>Jobs not at a provider (waiting for capacity, or for another owner's claim) stop at once, unfinished.</li>
 * <li>Jobs at a provider finish their call, for at most {@code callWait} (sized from the longest call timeout,
 * inside {@code max.poll.interval.ms}), and are committed; none starts another call.</li>
 * <li>What is still running then is cancelled: its call interrupted, nothing recorded against the account, its
 * permit kept until its lease ends (the provider may still be working on it).</li>
 * </ul>
 *
 * Runs on the consumer thread, inside the rebalance listener; {@code commit} writes what ended meanwhile.
 */
public final class Handover {

    private static final Logger log = LoggerFactory.getLogger(Handover.class);
    private static final Duration CANCEL_WAIT = Duration.ofSeconds(5);

    /** The jobs' waits for capacity: which jobs wait there now, and ending such a wait. */
    public interface Waits {
        boolean waiting(JobHandle job);

        void cancel(JobHandle job);
    }

    private final JobStarter starter;
    private final PriorityBuffer<PolledJob> buffer;
    private final Waits waits;

    Handover(JobStarter starter, PriorityBuffer<PolledJob> buffer, Waits waits) {
        this.starter = starter;
        this.buffer = buffer;
        this.waits = waits;
    }

    /**
     * Ends every job of {@code partitions} here.
     *
     * @param callWait how long calls under way may take to finish
     * @param commit   drains the jobs that ended into a transaction and commits it
     * @return the number of jobs that had to be cancelled during their call
     */
    int revoke(Collection<TopicPartition> partitions, Duration callWait, Runnable commit) {
        Set<TopicPartition> moving = Set.copyOf(partitions);
        List<JobHandle> jobs = starter.refuse(moving);
        try {
            buffer.removeIf(w -> moving.contains(w.partition()));
            jobs.forEach(JobHandle::handOver);
            awaitEnd(moving, callWait, commit, true);
            List<JobHandle> stuck = starter.running(moving);
            if (!stuck.isEmpty()) {
                log.warn(
                        "{} jobs of {} still at a provider after {}: cancelling them (their calls are interrupted, "
                                + "the partition's next owner runs them)",
                        stuck.size(),
                        moving,
                        callWait);
                stuck.forEach(JobHandle::cancel);
                awaitEnd(moving, CANCEL_WAIT, commit, false);
            }
            commit.run();
            return stuck.size();
        } finally {
            starter.refuse(Set.of());
        }
    }

    /**
     * Partitions lost (this worker was out of the group unawares; another may own them already): nothing of theirs
     * can be committed. Their jobs stop where they are not at a provider; calls under way are left to finish, so that
     * the provider is not asked twice: the job's claim keeps the next owner waiting for the stored outcome.
     */
    void lose(Collection<TopicPartition> partitions) {
        Set<TopicPartition> gone = Set.copyOf(partitions);
        List<JobHandle> jobs = starter.refuse(gone);
        try {
            buffer.removeIf(w -> gone.contains(w.partition()));
            jobs.forEach(JobHandle::handOver);
            jobs.stream().filter(waits::waiting).forEach(waits::cancel);
        } finally {
            starter.refuse(Set.of());
        }
    }

    private void awaitEnd(Set<TopicPartition> moving, Duration within, Runnable commit, boolean cancelWaits) {
        long deadline = Ticker.SYSTEM.deadline(within);
        while (starter.anyRunning(moving) && !Ticker.SYSTEM.passed(deadline)) {
            if (cancelWaits) {
                // also catches a job that comes to wait after a failed call (a retry): it does not call again
                starter.running(moving).stream().filter(waits::waiting).forEach(waits::cancel);
            }
            commit.run();
            try {
                Sleeper.SYSTEM.sleepMillis(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
