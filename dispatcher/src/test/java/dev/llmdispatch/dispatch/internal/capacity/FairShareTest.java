package dev.llmdispatch.dispatch.internal.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmdispatch.contract.Priority;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The fair-share rule on a clock set by hand: what the gate's waiting jobs are ordered by. */
class FairShareTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long CAP = TimeUnit.SECONDS.toNanos(15);

    private record Waiting(String tenant, int n, long fairStart, long seq) {}

    @Test
    void the_quantum_is_the_interval_between_the_prioritys_grants_and_at_most_a_second() {
        FairShare share = new FairShare(CAP);
        assertThat(share.quantumNanos(Priority.LOW, 0)).isEqualTo(FairShare.MAX_QUANTUM_NANOS);
        long now = 0;
        for (int i = 0; i < 200; i++) { // 5 a second for 40 s, in bursts of five at once
            if (i % 5 == 0) {
                now += 1000 * MS;
            }
            share.granted(Priority.LOW, now);
        }
        assertThat((double) share.quantumNanos(Priority.LOW, now)).isCloseTo(200 * MS, within(20.0 * MS));
        // the other priorities have their own pace
        assertThat(share.quantumNanos(Priority.HIGH, now)).isEqualTo(FairShare.MAX_QUANTUM_NANOS);
        // a minute with no grant: back to the bound
        assertThat(share.quantumNanos(Priority.LOW, now + 60_000 * MS)).isEqualTo(FairShare.MAX_QUANTUM_NANOS);
    }

    /**
     * A gate granting 5 jobs a second, one tenant keeping 60 jobs waiting; another tenant's 10 arrive at once: they get
     * every other grant (half the capacity), all served within 20 grants, not one per second nor after the 60.
     */
    @Test
    void two_tenants_with_work_each_get_half_the_grants_at_the_gates_pace() {
        FairShare share = new FairShare(CAP);
        PriorityQueue<Waiting> waiting =
                new PriorityQueue<>(Comparator.comparingLong(Waiting::fairStart).thenComparingLong(Waiting::seq));
        long[] seq = {0};
        int[] floodN = {0};
        long now = 0;
        // the flood keeps 60 waiting: the worker's in-flight window
        for (; floodN[0] < 60; floodN[0]++) {
            waiting.add(new Waiting("batch", floodN[0], share.start(Priority.LOW, "batch", now), seq[0]++));
        }
        List<Waiting> served = new ArrayList<>();
        for (int grant = 0; grant < 200; grant++) { // 40 s of the flood alone
            now += 200 * MS;
            served.add(grant(share, waiting, now));
            waiting.add(new Waiting("batch", floodN[0]++, share.start(Priority.LOW, "batch", now), seq[0]++));
        }
        assertThat(served).extracting(Waiting::n).isSorted(); // one tenant: its own order
        for (int i = 0; i < 10; i++) {
            waiting.add(new Waiting("apps", i, share.start(Priority.LOW, "apps", now), seq[0]++));
        }
        served.clear();
        for (int grant = 0; grant < 20; grant++) {
            now += 200 * MS;
            Waiting w = grant(share, waiting, now);
            served.add(w);
            if (w.tenant().equals("batch")) {
                waiting.add(new Waiting("batch", floodN[0]++, share.start(Priority.LOW, "batch", now), seq[0]++));
            }
        }
        List<Waiting> apps =
                served.stream().filter(w -> w.tenant().equals("apps")).toList();
        assertThat(apps).extracting(Waiting::n).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(served.stream().filter(w -> w.tenant().equals("batch")).count())
                .as("the flood still gets its half")
                .isGreaterThanOrEqualTo(8);
    }

    @Test
    void a_tenant_of_weight_three_gets_three_grants_for_each_of_a_tenant_of_weight_one() {
        FairShare share = new FairShare(CAP);
        share.weights(t -> t.equals("gold") ? 3 : 1);
        PriorityQueue<Waiting> waiting =
                new PriorityQueue<>(Comparator.comparingLong(Waiting::fairStart).thenComparingLong(Waiting::seq));
        long seq = 0;
        for (int i = 0; i < 40; i++) {
            waiting.add(new Waiting("gold", i, share.start(Priority.LOW, "gold", 0), seq++));
            waiting.add(new Waiting("plain", i, share.start(Priority.LOW, "plain", 0), seq++));
        }
        long gold = 0;
        for (int i = 0; i < 40; i++) {
            if (grant(share, waiting, i * MS).tenant().equals("gold")) {
                gold++;
            }
        }
        assertThat(gold).isBetween(29L, 31L);
    }

    @Test
    void a_lead_is_capped_so_that_it_never_outweighs_a_priority() {
        FairShare share = new FairShare(CAP);
        long last = 0;
        for (int i = 0; i < 100; i++) {
            last = share.start(Priority.LOW, "batch", 0);
        }
        assertThat(last).isEqualTo(CAP);
    }

    private static Waiting grant(FairShare share, PriorityQueue<Waiting> waiting, long now) {
        Waiting w = waiting.poll();
        share.granted(Priority.LOW, now);
        return w;
    }
}
