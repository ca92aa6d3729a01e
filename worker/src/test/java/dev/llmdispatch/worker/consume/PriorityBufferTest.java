package dev.llmdispatch.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.Priority;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PriorityBufferTest {

    @Test
    void serves_high_before_medium_before_low_without_shares() throws Exception {
        PriorityBuffer<String> buffer = new PriorityBuffer<>(0, 0);
        buffer.add(Priority.LOW, "l1");
        buffer.add(Priority.MEDIUM, "m1");
        buffer.add(Priority.HIGH, "h1");
        buffer.add(Priority.HIGH, "h2");
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(buffer.poll(0, TimeUnit.MILLISECONDS));
        }
        assertThat(order).containsExactly("h1", "h2", "m1", "l1");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void gives_low_its_minimum_share_while_high_is_flooded() throws Exception {
        PriorityBuffer<Priority> buffer = new PriorityBuffer<>(0.10, 0.05);
        for (int i = 0; i < 1000; i++) {
            buffer.add(Priority.HIGH, Priority.HIGH);
            buffer.add(Priority.LOW, Priority.LOW);
        }
        int low = 0;
        for (int i = 0; i < 200; i++) {
            if (buffer.poll(0, TimeUnit.MILLISECONDS) == Priority.LOW) {
                low++;
            }
        }
        assertThat(low).isEqualTo(10);
    }

    @Test
    void banks_no_credit_for_an_empty_priority() throws Exception {
        PriorityBuffer<String> buffer = new PriorityBuffer<>(0.5, 0.5);
        for (int i = 0; i < 10; i++) {
            buffer.add(Priority.HIGH, "h" + i);
        }
        for (int i = 0; i < 10; i++) {
            buffer.poll(0, TimeUnit.MILLISECONDS);
        }
        buffer.add(Priority.HIGH, "h");
        buffer.add(Priority.LOW, "l");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("h");
    }

    @Test
    void puts_retried_work_first_and_removes_by_filter() throws Exception {
        PriorityBuffer<String> buffer = new PriorityBuffer<>(0, 0);
        buffer.add(Priority.MEDIUM, "a");
        buffer.add(Priority.MEDIUM, "b");
        buffer.addFirst(Priority.MEDIUM, "retry");
        assertThat(buffer.removeIf(s -> s.equals("b"))).containsExactly("b");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("retry");
        assertThat(buffer.size()).isEqualTo(1);
    }

    @Test
    void tenants_of_one_priority_take_turns_by_weight_whatever_came_first() throws Exception {
        // items are "tenant-n"; tenant "big" has weight 2
        PriorityBuffer<String> buffer = new PriorityBuffer<>(
                0, 0, item -> item.substring(0, item.indexOf('-')), tenant -> tenant.equals("big") ? 2 : 1);
        for (int i = 0; i < 1000; i++) {
            buffer.add(Priority.LOW, "flood-" + i);
        }
        buffer.add(Priority.LOW, "small-0");
        buffer.add(Priority.LOW, "small-1");
        buffer.add(Priority.LOW, "big-0");
        buffer.add(Priority.LOW, "big-1");
        buffer.add(Priority.LOW, "big-2");

        List<String> first = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            first.add(buffer.poll(0, TimeUnit.MILLISECONDS));
        }
        // one item a turn for weight 1, two for weight 2, each tenant's items in their order
        assertThat(first)
                .containsExactly("flood-0", "small-0", "big-0", "big-1", "flood-1", "small-1", "big-2", "flood-2");
        assertThat(buffer.size(Priority.LOW)).isEqualTo(1000 - 3);
        // a higher priority still goes first, and a tenant put back goes next with its item first
        buffer.add(Priority.HIGH, "urgent-0");
        buffer.addFirst(Priority.LOW, "small-9");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("urgent-0");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("small-9");
        assertThat(buffer.removeIf(item -> item.startsWith("flood-"))).hasSize(997);
        assertThat(buffer.size()).isZero();
    }

    @Test
    void a_held_tenant_waits_in_its_order_while_the_others_are_served_and_goes_on_when_the_hold_ends()
            throws Exception {
        long[] now = {0};
        PriorityBuffer<String> buffer =
                new PriorityBuffer<>(0, 0, item -> item.substring(0, item.indexOf('-')), tenant -> 1, () -> now[0]);
        for (int i = 0; i < 3; i++) {
            buffer.add(Priority.LOW, "metered-" + i);
            buffer.add(Priority.LOW, "apps-" + i);
        }
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("metered-0");
        // its budget is spent: back first, and the tenant held for 30 s
        buffer.hold(Priority.LOW, "metered-0", Duration.ofSeconds(30));
        assertThat(buffer.held(Priority.LOW)).isEqualTo(3);
        List<String> served = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            served.add(buffer.poll(0, TimeUnit.MILLISECONDS));
        }
        assertThat(served).containsExactly("apps-0", "apps-1", "apps-2");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS))
                .as("only held work left")
                .isNull();
        assertThat(buffer.size(Priority.LOW)).isEqualTo(3);

        now[0] += Duration.ofSeconds(30).toNanos();
        assertThat(buffer.held(Priority.LOW)).isZero();
        served.clear();
        for (int i = 0; i < 3; i++) {
            served.add(buffer.poll(0, TimeUnit.MILLISECONDS));
        }
        assertThat(served).containsExactly("metered-0", "metered-1", "metered-2");
    }

    @Test
    void a_poll_waiting_for_work_returns_held_work_once_its_hold_ends() throws Exception {
        PriorityBuffer<String> buffer =
                new PriorityBuffer<>(0, 0, item -> item.substring(0, item.indexOf('-')), tenant -> 1);
        buffer.hold(Priority.LOW, "metered-0", Duration.ofMillis(300));
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isNull();
        // no signal comes when a hold ends: the poll wakes by itself
        assertThat(buffer.poll(10, TimeUnit.SECONDS)).isEqualTo("metered-0");
    }

    @Test
    void a_hold_whose_items_left_with_their_partition_ends_and_is_forgotten() throws Exception {
        long[] now = {0};
        PriorityBuffer<String> buffer =
                new PriorityBuffer<>(0, 0, item -> item.substring(0, item.indexOf('-')), tenant -> 1, () -> now[0]);
        buffer.hold(Priority.LOW, "metered-0", Duration.ofSeconds(30));
        assertThat(buffer.removeIf(item -> true)).containsExactly("metered-0");
        now[0] += Duration.ofSeconds(31).toNanos();
        // an idle poll parks for its timeout; it does not spin waiting for a hold that ended
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpu = threads.getCurrentThreadCpuTime();
        assertThat(buffer.poll(300, TimeUnit.MILLISECONDS)).isNull();
        assertThat(threads.getCurrentThreadCpuTime() - cpu)
                .as("CPU time of an idle 300 ms poll, ns")
                .isLessThan(TimeUnit.MILLISECONDS.toNanos(100));
        buffer.add(Priority.LOW, "metered-1");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("metered-1");
    }

    @Test
    void a_tenant_that_may_not_start_waits_and_its_priority_keeps_the_share_it_is_owed() throws Exception {
        PriorityBuffer<String> buffer =
                new PriorityBuffer<>(0, 0.5, item -> item.substring(0, item.indexOf('-')), tenant -> 1);
        for (int i = 1; i <= 4; i++) {
            buffer.add(Priority.HIGH, "urgent-" + i);
        }
        buffer.add(Priority.LOW, "batch-1");
        buffer.add(Priority.LOW, "batch-2");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("urgent-1"); // LOW owed half a start
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("batch-1"); // owed a whole one: its turn
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("urgent-2"); // owed half again
        // batch may not start now: urgent is served, and LOW neither gains nor loses what it is owed
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS, tenant -> !tenant.equals("batch")))
                .isEqualTo("urgent-3");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("batch-2");
        // only batch's work left and it may not start: the poll waits, and a wake lets it re-ask
        buffer.add(Priority.LOW, "batch-3");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("urgent-4");
        assertThat(buffer.poll(0, TimeUnit.MILLISECONDS, tenant -> false)).isNull();
        boolean[] may = {false};
        Thread poller = Thread.currentThread();
        Thread.ofVirtual().start(() -> {
            await().until(() -> poller.getState() == Thread.State.TIMED_WAITING);
            may[0] = true; // read under the buffer's lock, which wake() takes after this
            buffer.wake();
        });
        assertThat(buffer.poll(1, TimeUnit.MINUTES, tenant -> may[0])).isEqualTo("batch-3");
    }
}
