package dev.llmdispatch.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.Priority;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * {@link JobStarter} and {@link Handover} with jobs that stand for the three kinds a moving partition has: one waiting
 * for capacity, one at a provider that finishes, one at a provider that does not finish in time.
 */
class HandoverTest {

    private static final TopicPartition MOVING = new TopicPartition("llm.jobs.medium", 0);
    private static final TopicPartition STAYING = new TopicPartition("llm.jobs.medium", 1);

    private final PriorityBuffer<PolledJob> buffer = new PriorityBuffer<>(0.1, 0.05);
    /** Jobs waiting for capacity, each until its latch opens (its wait cancelled). */
    private final Map<JobHandle, CountDownLatch> waitingForCapacity = new ConcurrentHashMap<>();

    private final Map<Long, CountDownLatch> releases = new ConcurrentHashMap<>();
    private final AtomicInteger started = new AtomicInteger();
    private final List<Finished> committed = new ArrayList<>();

    private static PolledJob work(TopicPartition tp, long offset) {
        return new PolledJob(
                new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, new byte[0]), Priority.MEDIUM);
    }

    /**
     * Job at offset 0 waits for capacity until its wait is cancelled; the others are "at a provider" until their latch
     * opens (or they are interrupted).
     */
    private Finished run(JobHandle job) {
        started.incrementAndGet();
        long offset = job.work().record().offset();
        try {
            if (offset == 0) {
                CountDownLatch cancelled = new CountDownLatch(1);
                waitingForCapacity.put(job, cancelled);
                cancelled.await();
                return Finished.unfinished(job.work()); // a cancelled wait: not done
            }
            releases.computeIfAbsent(offset, o -> new CountDownLatch(1)).await();
            return new Finished(job.work(), List.of(), false);
        } catch (InterruptedException e) {
            return Finished.unfinished(job.work());
        }
    }

    private final Handover.Waits waits = new Handover.Waits() {
        @Override
        public boolean waiting(JobHandle job) {
            return waitingForCapacity.containsKey(job);
        }

        @Override
        public void cancel(JobHandle job) {
            CountDownLatch cancelled = waitingForCapacity.remove(job);
            if (cancelled != null) {
                cancelled.countDown();
            }
        }
    };

    @Test
    void a_moving_partition_ends_here_waits_cancelled_calls_finished_or_cancelled_and_nothing_new_starts()
            throws Exception {
        JobStarter starter = new JobStarter(
                buffer, 4, () -> false, Duration.ofMillis(50), this::run, w -> true, Duration.ofMillis(200));
        Handover handover = new Handover(starter, buffer, waits);
        for (long o = 0; o < 3; o++) {
            buffer.add(Priority.MEDIUM, work(MOVING, o));
        }
        buffer.add(Priority.MEDIUM, work(STAYING, 9));
        // one more of the moving partition, buffered behind the slots: it must never start
        buffer.add(Priority.MEDIUM, work(MOVING, 3));
        starter.start();
        try {
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> starter.inFlight() == 4 && waitingForCapacity.size() == 1);
            // the call at offset 1 finishes during the hand-over; the one at 2 never does
            CountDownLatch finishing = releases.computeIfAbsent(1L, o -> new CountDownLatch(1));
            int cancelled = handover.revoke(List.of(MOVING), Duration.ofSeconds(3), () -> {
                finishing.countDown();
                starter.drainEnded(committed::add);
            });

            assertThat(cancelled).as("the call that outlasted the wait").isEqualTo(1);
            assertThat(starter.anyRunning(List.of(MOVING))).isFalse();
            assertThat(committed)
                    .filteredOn(Finished::done)
                    .extracting(f -> f.work().record().offset())
                    .containsExactly(1L);
            assertThat(committed)
                    .filteredOn(f -> !f.done())
                    .extracting(f -> f.work().record().offset())
                    .containsExactlyInAnyOrder(0L, 2L);
            assertThat(buffer.size(Priority.MEDIUM))
                    .as("the buffered job of the moving partition is dropped")
                    .isZero();
            assertThat(started.get()).isEqualTo(4);
            assertThat(starter.running(List.of(STAYING)))
                    .as("other partitions' jobs go on")
                    .hasSize(1);

            // after the hand-over the starter takes jobs again
            releases.computeIfAbsent(9L, o -> new CountDownLatch(1)).countDown();
            buffer.add(Priority.MEDIUM, work(STAYING, 10));
            releases.computeIfAbsent(10L, o -> new CountDownLatch(1)).countDown();
            await().atMost(Duration.ofSeconds(5)).until(() -> started.get() == 5 && starter.inFlight() == 0);
        } finally {
            starter.stop();
            starter.cancelAll();
        }
    }

    @Test
    void lost_partitions_stop_their_waits_at_once_and_leave_calls_under_way_to_finish() {
        JobStarter starter = new JobStarter(
                buffer, 2, () -> false, Duration.ofMillis(50), this::run, w -> true, Duration.ofMillis(200));
        Handover handover = new Handover(starter, buffer, waits);
        buffer.add(Priority.MEDIUM, work(MOVING, 0));
        buffer.add(Priority.MEDIUM, work(MOVING, 5));
        buffer.add(Priority.MEDIUM, work(MOVING, 6));
        starter.start();
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> started.get() == 2 && waitingForCapacity.size() == 1);
            handover.lose(List.of(MOVING));

            // the wait ends unfinished; the call is not interrupted (the provider has it: its claim keeps the next
            // owner from asking again) and ends when the provider answers; the buffered job is the next owner's
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> starter.running(List.of(MOVING)).size() == 1);
            assertThat(starter.running(List.of(MOVING)))
                    .singleElement()
                    .satisfies(h -> assertThat(h.work().record().offset()).isEqualTo(5));
            releases.computeIfAbsent(5L, o -> new CountDownLatch(1)).countDown();
            await().atMost(Duration.ofSeconds(5)).until(() -> !starter.anyRunning(List.of(MOVING)));
            starter.drainEnded(committed::add);
            assertThat(committed)
                    .extracting(f -> f.work().record().offset() + ":" + f.done())
                    .containsExactlyInAnyOrder("0:false", "5:true");
            assertThat(buffer.size(Priority.MEDIUM)).isZero();
            assertThat(started.get()).isEqualTo(2);
        } finally {
            starter.stop();
        }
    }

    @Test
    void no_job_starts_in_emergency_mode() {
        AtomicInteger checks = new AtomicInteger();
        JobStarter starter = new JobStarter(
                buffer,
                2,
                () -> checks.incrementAndGet() < 5,
                Duration.ofMillis(20),
                this::run,
                w -> true,
                Duration.ofMillis(200));
        buffer.add(Priority.MEDIUM, work(STAYING, 1));
        releases.computeIfAbsent(1L, o -> new CountDownLatch(1)).countDown();
        starter.start();
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> started.get() == 1);
            assertThat(checks.get())
                    .as("held back while every provider was down")
                    .isGreaterThanOrEqualTo(5);
        } finally {
            starter.stop();
        }
    }
}
