package dev.llmdispatch.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.RecordHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The starter's limit on jobs in flight, shared between tenants: jobs that run until the test lets them end, so that
 * what has started at each moment is exact. The starter waits a minute for a startable job: a start that follows a job's
 * end within the test's seconds was woken by it.
 */
class JobStarterTest {

    private final PriorityBuffer<PolledJob> buffer = new PriorityBuffer<>(0, 0, PolledJob::tenant, tenant -> 1);
    /** Started jobs (by record key), in the order the starter started them. */
    private final List<String> started = new CopyOnWriteArrayList<>();
    /** Per job (record key), the latch that ends it. */
    private final Map<String, CountDownLatch> ends = new ConcurrentHashMap<>();

    private long offset;
    private JobStarter starter;

    private void start(int maxInFlight) {
        starter = new JobStarter(
                buffer,
                maxInFlight,
                () -> false,
                Duration.ofMillis(100),
                handle -> {
                    try {
                        ends.get(new String(handle.work().record().key(), StandardCharsets.UTF_8))
                                .await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Finished.unfinished(handle.work());
                },
                work -> started.add(new String(work.record().key(), StandardCharsets.UTF_8)),
                Duration.ofMinutes(1));
        starter.start();
    }

    @AfterEach
    void stop() {
        if (starter != null) {
            starter.stop();
            ends.values().forEach(CountDownLatch::countDown);
        }
    }

    private void add(String tenant, String key) {
        ConsumerRecord<byte[], byte[]> record =
                new ConsumerRecord<>("jobs", 0, offset++, key.getBytes(StandardCharsets.UTF_8), new byte[0]);
        record.headers().add(RecordHeaders.TENANT, tenant.getBytes(StandardCharsets.UTF_8));
        ends.put(key, new CountDownLatch(1));
        buffer.add(Priority.LOW, new PolledJob(record, Priority.LOW));
    }

    private void end(String key) {
        ends.get(key).countDown();
    }

    @Test
    void one_tenant_has_max_in_flight_and_the_next_job_starts_when_one_ends() {
        start(2);
        add("batch", "b1");
        add("batch", "b2");
        add("batch", "b3");
        await().until(() -> started.size() == 2);
        assertThat(started).containsExactly("b1", "b2");
        // nothing more starts while both run (for 600 ms)
        await().during(Duration.ofMillis(600)).until(() -> started.size() == 2);
        end("b1");
        await().until(() -> started.size() == 3 && starter.inFlight() == 2);
    }

    @Test
    void another_tenant_starts_beside_a_flood_holding_every_place_up_to_twice_the_limit() {
        start(4);
        for (int i = 1; i <= 10; i++) {
            add("flood", "f" + i);
        }
        await().until(() -> started.size() == 4);
        add("apps", "a1");
        add("apps", "a2");
        add("apps", "a3");
        // apps' share of the 4 places beside the flood is 2: two of its jobs start at once, over the limit
        await().until(() -> started.size() == 6);
        assertThat(started.subList(4, 6)).containsExactly("a1", "a2");
        await().during(Duration.ofMillis(600)).until(() -> started.size() == 6);
        // a flood job ending frees no place for the flood (6 in flight, over the limit) nor for apps (at its share)
        end("f1");
        await().during(Duration.ofMillis(600)).until(() -> started.size() == 6 && starter.inFlight() == 5);
        // apps' job ending lets its third start (1 of apps' 2), the flood still waits for the total to fall below 4
        end("a1");
        await().until(() -> started.size() == 7);
        assertThat(started.get(6)).isEqualTo("a3");
        // two more flood jobs ending: at the first the flood is still at its share (2 of 4), at the second the total
        // falls below the limit and one flood job starts, the flood's second in flight: its share again
        end("f2");
        end("f3");
        await().until(() -> started.size() == 8);
        assertThat(started.get(7)).isEqualTo("f5");
        await().during(Duration.ofMillis(600)).until(() -> started.size() == 8 && starter.inFlight() == 4);
    }

    @Test
    void many_tenants_never_start_more_than_twice_the_limit() {
        start(2);
        for (String tenant : List.of("t1", "t2", "t3", "t4", "t5", "t6")) {
            add(tenant, tenant + "-job");
        }
        await().until(() -> started.size() == 4);
        await().during(Duration.ofMillis(600)).until(() -> started.size() == 4 && starter.inFlight() == 4);
        end("t1-job");
        await().until(() -> started.size() == 5);
        assertThat(started).containsExactly("t1-job", "t2-job", "t3-job", "t4-job", "t5-job");
    }
}
