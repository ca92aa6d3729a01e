package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.Balance;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.internal.capacity.Acquisition;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.dispatch.internal.capacity.InMemoryCapacityStore;
import dev.llmdispatch.dispatch.internal.capacity.Lease;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import dev.llmdispatch.dispatch.spi.AccountKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Fleet-wide limits: several gates (each a worker's) share one store, the in-memory one with the Lua scripts'
 * semantics, on real time; the store itself is held to the scripts by the capacity contract.
 */
class CapacityGateTest {

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** The jobs' threads; closed (waiting for them) after each test. */
    @AutoClose
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    /** The fleet's shared store: the scripts' semantics (CapacityStoreContract holds the double to them). */
    private final InMemoryCapacityStore store = new InMemoryCapacityStore(Clock.systemUTC());

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static DispatchSettings oneAccount(Limits limits, Duration timeout) {
        ProviderSettings p = new ProviderSettings(
                "http://127.0.0.1:9/v1",
                Set.of(Capability.CHAT),
                null,
                Map.of("chat", "m"),
                null,
                null,
                Balance.ORDERED,
                timeout,
                List.of(new AccountSettings("acct-1", "k", limits, null)));
        return new DispatchSettings(null, null, Map.of("p", p), Map.of("TIER_1", List.of("p")), null, 0);
    }

    private List<CapacityGate> gates(int n, DispatchSettings settings, CapacitySettings capacity) {
        List<CapacityGate> gates = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CapacityGate gate = new CapacityGate(store, settings, capacity, Clock.systemUTC(), null).start();
            toClose.add(gate);
            gates.add(gate);
        }
        return gates;
    }

    private static List<Candidate> candidates(DispatchSettings settings) {
        ProviderSettings p = settings.providers().get("p");
        return List.of(new Candidate("p", p, p.accounts().get(0)));
    }

    private static CapacitySettings capacity(Duration guard) {
        return CapacitySettings.of("gate-" + UUID.randomUUID(), guard, Duration.ofMillis(500), Duration.ofMillis(10))
                .withQuietOnNewState(false);
    }

    @Test
    void a_request_that_leaves_late_holds_its_window_place_from_when_it_left() throws Exception {
        // one request a second, guard 100 ms: a window place is held 1.1 s
        DispatchSettings settings =
                oneAccount(Limits.of(1, Duration.ofMillis(1000), null, null, null), Duration.ofSeconds(5));
        CapacityGate gate = gates(1, settings, capacity(Duration.ofMillis(100))).get(0);
        Lease late =
                gate.acquire(candidates(settings), Priority.MEDIUM, null, 0, "").lease();
        assertThat(late.mayWrite()).isTrue();
        // the JVM is starved between the check and the HTTP client taking the body: the request leaves 600 ms late,
        // and the provider counts it from its arrival
        Thread.sleep(600);
        long leftAt = System.nanoTime();
        late.left();
        assertThat(late.leftAfterNanos())
                .isGreaterThanOrEqualTo(Duration.ofMillis(600).toNanos());
        assertThat(late.ageAtLeftNanos()).isGreaterThan(Duration.ofMillis(100).toNanos());
        assertThat(late.leftLate()).as("its place moved to when it left").isTrue();
        // its call is still running (a long generation): the place is moved now, not when the call ends
        try (Lease next =
                gate.acquire(candidates(settings), Priority.MEDIUM, null, 0, "").lease()) {
            long after = System.nanoTime() - leftAt;
            // counted from the grant, the next grant would have come 500 ms after the request left
            assertThat(after).isGreaterThanOrEqualTo(Duration.ofMillis(1050).toNanos());
            assertThat(after).isLessThan(Duration.ofMillis(2000).toNanos());
            assertThat(next.mayWrite()).isTrue();
            next.left();
            assertThat(next.leftLate())
                    .as("left at once: its place stays where it was granted")
                    .isFalse();
        } finally {
            late.close();
        }
    }

    @Test
    void latency_rising_by_a_few_milliseconds_keeps_the_adaptive_limit_and_rising_by_hundreds_cuts_it()
            throws Exception {
        DispatchSettings settings = oneAccount(Limits.of(null, null, 10, null, null), Duration.ofSeconds(5));
        CapacityGate gate = gates(1, settings, capacity(Duration.ZERO)).get(0);
        // a provider that answers at once: 2 ms, then 6 ms (three times as long, the client's own noise)
        for (int i = 0; i < 100; i++) {
            try (Lease lease = gate.acquire(candidates(settings), Priority.MEDIUM, null, 0, "")
                    .lease()) {
                lease.callEnded(false, i < 60 ? 2 : 6, "CHAT");
            }
        }
        assertThat(gate.usage("acct-1").adaptiveLimit()).isEqualTo(10);
        // hundreds of milliseconds longer: the provider queues calls, and the limit comes down
        for (int i = 0; i < 20; i++) {
            try (Lease lease = gate.acquire(candidates(settings), Priority.MEDIUM, null, 0, "")
                    .lease()) {
                lease.callEnded(false, 400, "CHAT");
            }
        }
        assertThat(gate.usage("acct-1").adaptiveLimit()).isLessThan(10);
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void never_exceeds_an_account_concurrency_across_three_gates() throws Exception {
        DispatchSettings settings = oneAccount(Limits.of(null, null, 3, null, null), Duration.ofSeconds(5));
        List<CapacityGate> gates = gates(3, settings, capacity(Duration.ZERO));
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger maxHolding = new AtomicInteger();
        List<CompletableFuture<Void>> jobs = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            CapacityGate gate = gates.get(i % 3);
            jobs.add(CompletableFuture.runAsync(
                    () -> {
                        try (Lease lease = gate.acquire(candidates(settings), Priority.MEDIUM, null, 0, "")
                                .lease()) {
                            maxHolding.accumulateAndGet(holding.incrementAndGet(), Math::max);
                            Thread.sleep(15);
                            holding.decrementAndGet();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    pool));
        }
        CompletableFuture.allOf(jobs.toArray(CompletableFuture[]::new)).get();
        assertThat(maxHolding.get()).isEqualTo(3);
        assertThat(gates.get(0).usage("acct-1").availablePermits()).isEqualTo(3);
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void never_grants_more_than_the_request_window_allows_across_gates() throws Exception {
        DispatchSettings settings =
                oneAccount(Limits.of(10, Duration.ofMillis(1000), null, null, null), Duration.ofSeconds(5));
        List<CapacityGate> gates = gates(3, settings, capacity(Duration.ofMillis(100)));
        ConcurrentLinkedQueue<Long> grants = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<Void>> jobs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            CapacityGate gate = gates.get(i % 3);
            jobs.add(CompletableFuture.runAsync(
                    () -> {
                        // as the dispatcher does: a grant older than the guard when its request would leave (a
                        // thread scheduled late) goes back unused and the job asks again
                        boolean sent = false;
                        while (!sent) {
                            try (Lease lease = gate.acquire(candidates(settings), Priority.MEDIUM, null, 0, "")
                                    .lease()) {
                                long at = System.nanoTime();
                                sent = lease.mayWrite();
                                if (sent) {
                                    grants.add(at);
                                } else {
                                    lease.unsend();
                                }
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    },
                    pool));
        }
        CompletableFuture.allOf(jobs.toArray(CompletableFuture[]::new)).get();
        List<Long> times = new ArrayList<>(grants);
        Collections.sort(times);
        assertThat(times).hasSize(30);
        for (int i = 10; i < times.size(); i++) {
            // the 11th request after any request leaves at least one window later
            assertThat(times.get(i) - times.get(i - 10))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(1000).toNanos());
        }
        // and it comes soon after the window allows it: no whole window is wasted
        assertThat(times.get(29) - times.get(0))
                .isLessThan(Duration.ofMillis(3 * 1000).toNanos());
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void serves_high_before_low_when_room_appears() throws Exception {
        DispatchSettings settings = oneAccount(Limits.of(null, null, 1, null, null), Duration.ofSeconds(5));
        CapacityGate gate = gates(1, settings, capacity(Duration.ZERO)).get(0);
        Lease held =
                gate.acquire(candidates(settings), Priority.LOW, null, 0, "").lease();
        ConcurrentLinkedQueue<Priority> order = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (Priority p : List.of(Priority.LOW, Priority.LOW, Priority.MEDIUM, Priority.HIGH)) {
            waiting.add(CompletableFuture.runAsync(
                    () -> {
                        try (Lease lease = gate.acquire(candidates(settings), p, null, 0, "")
                                .lease()) {
                            order.add(p);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    pool));
            int expected = waiting.size();
            await().until(() -> gate.waiting() == expected);
        }
        held.close();
        CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get();
        assertThat(order).containsExactly(Priority.HIGH, Priority.MEDIUM, Priority.LOW, Priority.LOW);
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    private CompletableFuture<Void> served(
            CapacityGate gate, List<Candidate> candidates, Priority priority, String name, List<String> order) {
        return CompletableFuture.runAsync(
                () -> {
                    try (Lease lease =
                            gate.acquire(candidates, priority, null, 0, "").lease()) {
                        order.add(name);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                },
                pool);
    }

    @Test
    void a_tenant_with_many_jobs_waiting_does_not_keep_another_tenants_job_behind_them_all() throws Exception {
        DispatchSettings settings = oneAccount(Limits.of(null, null, 1, null, null), Duration.ofSeconds(5));
        CapacityGate gate = gates(1, settings, capacity(Duration.ZERO)).get(0);
        Lease held =
                gate.acquire(candidates(settings), Priority.LOW, null, 0, "").lease();
        List<String> order = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> jobs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            jobs.add(servedFor(gate, candidates(settings), "flood", "flood-" + i, order));
            int waiting = i + 1;
            await().until(() -> gate.waiting() == waiting);
        }
        jobs.add(servedFor(gate, candidates(settings), "other", "other-0", order));
        await().until(() -> gate.waiting() == 6);
        held.close();
        CompletableFuture.allOf(jobs.toArray(CompletableFuture[]::new)).get();
        // the flood's first came first and is served first; the other tenant's one job is next, not sixth
        assertThat(order).containsExactly("flood-0", "other-0", "flood-1", "flood-2", "flood-3", "flood-4");
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    private CompletableFuture<Void> servedFor(
            CapacityGate gate, List<Candidate> candidates, String tenant, String name, List<String> order) {
        return CompletableFuture.runAsync(
                () -> {
                    try (Lease lease = gate.acquire(candidates, Priority.LOW, null, 0, tenant)
                            .lease()) {
                        order.add(name);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                },
                pool);
    }

    @Test
    void a_freed_permit_goes_to_the_most_urgent_job_in_the_fleet_not_to_a_local_one() throws Exception {
        DispatchSettings settings = oneAccount(Limits.of(null, null, 1, null, null), Duration.ofSeconds(5));
        CapacitySettings capacity = capacity(Duration.ZERO);
        List<CapacityGate> gates = gates(2, settings, capacity);
        CapacityGate a = gates.get(0);
        CapacityGate b = gates.get(1);
        // the jobs each worker has published as waiting for the account: what the rest of the fleet sees
        AccountKeys account = AccountKeys.of(capacity.keyPrefix(), "acct-1");
        List<String> order = new CopyOnWriteArrayList<>();
        for (int round = 0; round < 5; round++) {
            Lease held =
                    a.acquire(candidates(settings), Priority.HIGH, null, 0, "").lease();
            // worker A has a LOW job waiting; worker B a HIGH one, come later
            CompletableFuture<Void> low = served(a, candidates(settings), Priority.LOW, "low-" + round, order);
            await().until(() -> a.waiting() == 1);
            CompletableFuture<Void> high = served(b, candidates(settings), Priority.HIGH, "high-" + round, order);
            await().until(() -> b.waiting() == 1 && store.published(account) == 2);
            held.close(); // A's freed permit: its own LOW job would be next in A
            CompletableFuture.allOf(low, high).get();
            assertThat(order.subList(2 * round, 2 * round + 2)).containsExactly("high-" + round, "low-" + round);
        }
    }

    /**
     * Hole 9 of issue 22: a large job on a busy token window starved while another worker's small jobs kept the window
     * full. The large job's need is kept from less urgent jobs while it waits.
     */
    @Test
    void a_large_job_is_not_starved_by_another_workers_small_ones_on_a_token_window() throws Exception {
        DispatchSettings settings =
                oneAccount(Limits.of(null, null, null, 1_000L, Duration.ofMillis(500)), Duration.ofSeconds(5));
        List<CapacityGate> gates = gates(2, settings, capacity(Duration.ZERO));
        CapacityGate small = gates.get(0);
        CapacityGate large = gates.get(1);
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicInteger smallServed = new AtomicInteger();
        List<CompletableFuture<Void>> flood = new ArrayList<>();
        for (int i = 0; i < 8; i++) { // LOW jobs of 100 tokens each, one after another, on eight threads
            flood.add(CompletableFuture.runAsync(
                    () -> {
                        while (flooding.get()) {
                            try (Lease lease = small.acquire(candidates(settings), Priority.LOW, null, 100, "")
                                    .lease()) {
                                if (lease.mayWrite()) {
                                    lease.left(); // sent: its tokens count a whole window
                                }
                                smallServed.incrementAndGet();
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    },
                    pool));
        }
        await().until(() -> smallServed.get() >= 20); // the window is kept full
        Instant deadline = Instant.now().plusSeconds(3);
        Acquisition big = large.acquire(candidates(settings), Priority.HIGH, deadline, 800, "");
        flooding.set(false);
        CompletableFuture.allOf(flood.toArray(CompletableFuture[]::new)).get();
        assertThat(big)
                .as("800 of 1,000 tokens a 500 ms window, against small jobs that keep it full")
                .isNotInstanceOf(Acquisition.Expired.class);
        big.lease().close();
    }

    @Test
    void a_low_job_that_waited_long_enough_goes_before_a_fresh_high_one_anywhere_in_the_fleet() throws Exception {
        DispatchSettings settings = oneAccount(Limits.of(null, null, 1, null, null), Duration.ofSeconds(5));
        List<CapacityGate> gates =
                gates(2, settings, capacity(Duration.ZERO).withPriorityAging(Duration.ofMillis(100)));
        CapacityGate a = gates.get(0);
        CapacityGate b = gates.get(1);
        List<String> order = new CopyOnWriteArrayList<>();
        Lease held = b.acquire(candidates(settings), Priority.HIGH, null, 0, "").lease();
        CompletableFuture<Void> low = served(a, candidates(settings), Priority.LOW, "low", order);
        await().until(() -> a.waiting() == 1);
        // four aging steps later: the LOW job ranks as a HIGH one that came two steps before this one
        await().pollDelay(Duration.ofMillis(400)).until(() -> true);
        CompletableFuture<Void> high = served(b, candidates(settings), Priority.HIGH, "high", order);
        await().until(() -> b.waiting() == 1);
        held.close(); // B's freed permit: its own HIGH job would be next in B
        CompletableFuture.allOf(low, high).get();
        assertThat(order).containsExactly("low", "high");
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void gives_up_at_the_deadline() throws Exception {
        DispatchSettings settings = oneAccount(Limits.of(null, null, 1, null, null), Duration.ofSeconds(5));
        CapacityGate gate = gates(1, settings, capacity(Duration.ZERO)).get(0);
        try (Lease held =
                gate.acquire(candidates(settings), Priority.HIGH, null, 0, "").lease()) {
            Instant deadline = Instant.now().plusMillis(200);
            assertThat(gate.acquire(candidates(settings), Priority.HIGH, deadline, 0, ""))
                    .isEqualTo(new Acquisition.Expired(deadline));
            assertThat(gate.waiting()).isZero();
        }
    }

    @Test
    void a_crashed_holders_permit_comes_back_when_its_lease_ends() throws Exception {
        DispatchSettings settings = oneAccount(Limits.of(null, null, 2, null, null), Duration.ofMillis(500));
        CapacitySettings capacity = capacity(Duration.ZERO);
        CapacityGate doomed = new CapacityGate(store, settings, capacity, Clock.systemUTC(), null).start();
        doomed.acquire(candidates(settings), Priority.HIGH, null, 0, "").lease();
        doomed.acquire(candidates(settings), Priority.HIGH, null, 0, "").lease();
        // the worker dies: no release, nothing of it runs any more
        doomed.close();

        CapacityGate survivor = gates(1, settings, capacity).get(0);
        // lease = call timeout 500 ms + margin 500 ms: the permits are back long before this wait's deadline
        Acquisition got = survivor.acquire(
                candidates(settings), Priority.HIGH, Instant.now().plusSeconds(10), 0, "");
        assertThat(got).isInstanceOf(Acquisition.Acquired.class);
        got.lease().close();
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void a_permit_handed_to_a_local_waiter_gets_a_fresh_lease_and_no_other_gate_gets_it_meanwhile() throws Exception {
        // lease = call timeout 2 s + margin 1 s; a hand-over needs half the margin of the lease left
        DispatchSettings settings = oneAccount(Limits.of(null, null, 1, null, null), Duration.ofSeconds(2));
        CapacitySettings capacity = CapacitySettings.of(
                        "gate-" + UUID.randomUUID(), Duration.ZERO, Duration.ofSeconds(1), Duration.ofMillis(10))
                .withQuietOnNewState(false);
        List<CapacityGate> gates = gates(2, settings, capacity);
        CapacityGate local = gates.get(0);
        CapacityGate other = gates.get(1);
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger maxHolding = new AtomicInteger();

        Lease first = local.acquire(candidates(settings), Priority.MEDIUM, null, 0, "")
                .lease();
        long firstAt = System.nanoTime();
        holding.incrementAndGet();
        CompletableFuture<Long> handedAt = new CompletableFuture<>();
        CompletableFuture<Void> next = CompletableFuture.runAsync(
                () -> {
                    try (Lease lease = local.acquire(candidates(settings), Priority.MEDIUM, null, 0, "")
                            .lease()) {
                        maxHolding.accumulateAndGet(holding.incrementAndGet(), Math::max);
                        handedAt.complete(System.nanoTime());
                        // a call of 2.5 s: past the first grant's lease (3 s from its start), within a renewed one
                        Thread.sleep(2500);
                        holding.decrementAndGet();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                },
                pool);
        await().until(() -> local.waiting() == 1);
        CompletableFuture<Long> otherGot = CompletableFuture.supplyAsync(
                () -> {
                    // the same priority as the local waiter, and later: the local one is the fleet's most urgent
                    try (Lease lease = other.acquire(candidates(settings), Priority.MEDIUM, null, 0, "")
                            .lease()) {
                        maxHolding.accumulateAndGet(holding.incrementAndGet(), Math::max);
                        holding.decrementAndGet();
                        return System.nanoTime();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                },
                pool);
        await().until(() -> other.waiting() == 1);
        // the first call lasts 0.7 s: clear of the granter's own look at the account a second after it found it full
        // (a lease may end silently), which would be serving the waiter at the moment of the hand-over
        Thread.sleep(Math.max(0, 700 - (System.nanoTime() - firstAt) / 1_000_000));
        holding.decrementAndGet();
        first.close();

        next.get();
        long otherAt = otherGot.get();
        assertThat(local.handedOver()).isEqualTo(1);
        assertThat(maxHolding.get()).isEqualTo(1);
        assertThat(otherAt - handedAt.get())
                .isGreaterThanOrEqualTo(Duration.ofMillis(2500).toNanos());
        assertThat(local.usage("acct-1").availablePermits()).isEqualTo(1);
    }
}
