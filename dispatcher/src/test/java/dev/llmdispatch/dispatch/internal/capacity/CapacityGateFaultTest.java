package dev.llmdispatch.dispatch.internal.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.Balance;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import dev.llmdispatch.time.ManualTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gate's ways out when its store fails, without Redis: a store in memory whose calls can be made to throw, as
 * Redisson's do when Redis is away. Every path out of a wait gives back what it took and leaves no waiter behind.
 */
class CapacityGateFaultTest {

    /** One account's concurrency in memory; each operation can be set to fail. */
    static final class FlakyStore implements CapacityStore {
        final int limit;
        final Set<String> inFlight = ConcurrentHashMap.newKeySet();
        final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
        final AtomicInteger acquireCalls = new AtomicInteger();
        volatile boolean failAcquire;
        volatile boolean failRelease;
        /** Grants sit in a request window (their age at writing is then checked against the window guard). */
        volatile boolean windowed;

        FlakyStore(int limit) {
            this.limit = limit;
        }

        @Override
        public synchronized Decision acquire(AccountKeys account, AccountKeys.Declaration limits, Ask ask) {
            acquireCalls.incrementAndGet();
            if (failAcquire) {
                throw new IllegalStateException("Unable to connect to Redis (injected)");
            }
            if (ask.held()) {
                return new Decision(inFlight.contains(ask.permitId()) ? Reason.GRANTED : Reason.LOST_PERMIT, 0, "e", 0);
            }
            if (inFlight.size() >= limit) {
                return new Decision(Reason.CONCURRENCY, 0, "e", 0);
            }
            inFlight.add(ask.permitId());
            return new Decision(Reason.GRANTED, 0, "e", 0, windowed, 0);
        }

        @Override
        public void release(
                AccountKeys account,
                AccountKeys.Declaration limits,
                String permitId,
                String unsentRequestId,
                String unsentTokenEntry,
                Sent sent) {
            if (failRelease) {
                throw new IllegalStateException("Unable to connect to Redis (injected)");
            }
            if (permitId != null && inFlight.remove(permitId)) {
                listeners.forEach(l -> l.accept(account.accountId()));
            }
        }

        @Override
        public String restore(
                AccountKeys account,
                AccountKeys.Declaration limits,
                String knownEpoch,
                String newEpoch,
                Map<String, Long> permits,
                long restoreMillis) {
            return "e";
        }

        @Override
        public Usage usage(AccountKeys account, AccountKeys.Declaration limits) {
            return new Usage(inFlight.size(), 0, 0, 0);
        }

        @Override
        public void declare(AccountKeys account, AccountKeys.Declaration limits) {}

        @Override
        public void charge(AccountKeys account, String grantedEntry, String usedEntry) {}

        @Override
        public long adapt(
                AccountKeys account,
                boolean cut,
                int healthyCalls,
                int ceiling,
                long grantedAtMillis,
                int factorPermille) {
            return ceiling;
        }

        @Override
        public void publishWaiting(AccountKeys account, String workerId, Waiting waiting) {}

        @Override
        public AutoCloseable onRelease(Consumer<String> released) {
            listeners.add(released);
            return () -> listeners.remove(released);
        }
    }

    private static final DispatchSettings SETTINGS = new DispatchSettings(
            null,
            null,
            Map.of(
                    "p",
                    new ProviderSettings(
                            "http://127.0.0.1:9/v1",
                            Set.of(Capability.CHAT),
                            null,
                            Map.of("chat", "m"),
                            null,
                            null,
                            Balance.ORDERED,
                            Duration.ofSeconds(5),
                            List.of(new AccountSettings("acct-1", "k", Limits.of(null, null, 1, null, null), null)))),
            Map.of("TIER_1", List.of("p")),
            null,
            0);
    private static final List<Candidate> SLOTS = List.of(new Candidate(
            "p",
            SETTINGS.providers().get("p"),
            SETTINGS.providers().get("p").accounts().get(0)));

    private CapacityGate gate;

    private CapacityGate gate(FlakyStore store, Duration outageWait) {
        gate = new CapacityGate(
                        store,
                        SETTINGS,
                        new CapacitySettings(
                                "t",
                                Duration.ZERO,
                                Duration.ofSeconds(1),
                                Duration.ofMillis(5),
                                null,
                                false,
                                outageWait,
                                null),
                        Clock.systemUTC(),
                        null)
                .start();
        return gate;
    }

    @AfterEach
    void close() {
        gate.close();
    }

    private CompletableFuture<Lease> acquireAsync(CapacityGate gate, Priority priority) {
        CompletableFuture<Lease> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(gate.acquire(SLOTS, priority, null, 0, "").lease());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    @Test
    void a_waiter_whose_grants_fail_keeps_waiting_and_is_served_once_the_store_answers() throws Exception {
        FlakyStore store = new FlakyStore(1);
        store.failAcquire = true;
        CapacityGate gate = gate(store, Duration.ofMinutes(1));
        CompletableFuture<Lease> waiting = acquireAsync(gate, Priority.HIGH);
        await().until(() -> store.acquireCalls.get() >= 3); // asked again and again, not given up, not stranded
        assertThat(waiting).isNotDone();

        store.failAcquire = false;
        Lease lease = waiting.get(5, TimeUnit.SECONDS);
        assertThat(store.inFlight).hasSize(1);
        lease.close();
        assertThat(store.inFlight).isEmpty();
        assertThat(gate.waiting()).isZero();
    }

    @Test
    void a_hand_over_that_fails_gives_the_permit_back_and_the_next_waiter_still_gets_it() throws Exception {
        FlakyStore store = new FlakyStore(1);
        CapacityGate gate = gate(store, Duration.ofMinutes(1));
        Lease first = gate.acquire(SLOTS, Priority.HIGH, null, 0, "").lease();
        CompletableFuture<Lease> next = acquireAsync(gate, Priority.HIGH);
        await().until(() -> gate.waiting() == 1);

        store.failAcquire = true; // the hand-over's renewal and the granter's next tries fail
        first.close();
        assertThat(store.inFlight).isEmpty(); // given back, not leaked with the failed hand-over
        assertThat(gate.handedOver()).isZero();
        store.failAcquire = false;

        Lease lease = next.get(5, TimeUnit.SECONDS);
        assertThat(store.inFlight).hasSize(1);
        lease.close();
    }

    @Test
    void a_release_that_fails_strands_nobody_and_the_permit_comes_back_with_its_lease() throws Exception {
        FlakyStore store = new FlakyStore(2);
        CapacityGate gate = gate(store, Duration.ofMinutes(1));
        Lease first = gate.acquire(SLOTS, Priority.HIGH, null, 0, "").lease();
        store.failRelease = true;
        first.close(); // logged; in Redis the lease would end by itself
        store.failRelease = false;
        Lease second = gate.acquire(SLOTS, Priority.HIGH, null, 0, "").lease();
        assertThat(second).isNotNull();
        second.close();
        assertThat(gate.waiting()).isZero();
    }

    @Test
    void a_job_waiting_through_a_long_outage_ends_with_capacity_unavailable() {
        FlakyStore store = new FlakyStore(1);
        store.failAcquire = true;
        CapacityGate gate = gate(store, Duration.ofMillis(300));
        CompletableFuture<Lease> waiting = acquireAsync(gate, Priority.HIGH);
        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(CapacityUnavailableException.class)
                .hasMessageContaining("Unable to connect to Redis (injected)");
        assertThat(gate.waiting()).isZero();
        assertThat(store.inFlight).isEmpty();
    }

    /**
     * With the only permit held, a LOW job starts waiting, {@code later} passes on the gate's ticker, a HIGH job
     * starts waiting, the permit is freed: in which order are they served?
     */
    private List<Priority> lowThenHighServedIn(Duration aging, Duration later) throws Exception {
        FlakyStore store = new FlakyStore(1);
        ManualTime time = new ManualTime();
        gate = new CapacityGate(
                        store,
                        SETTINGS,
                        new CapacitySettings(
                                "t",
                                Duration.ZERO,
                                Duration.ofSeconds(1),
                                Duration.ofMillis(5),
                                null,
                                false,
                                Duration.ofMinutes(1),
                                aging),
                        Clock.systemUTC(),
                        null,
                        time,
                        time)
                .start();
        Lease held = gate.acquire(SLOTS, Priority.HIGH, null, 0, "").lease();
        List<Priority> order = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> served = new ArrayList<>();
        for (Priority p : List.of(Priority.LOW, Priority.HIGH)) {
            int before = gate.waiting();
            served.add(acquireAsync(gate, p).thenAccept(lease -> {
                order.add(p);
                lease.close();
            }));
            await().until(() -> gate.waiting() == before + 1);
            time.advance(later);
        }
        held.close();
        CompletableFuture.allOf(served.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        return order;
    }

    @Test
    void a_low_job_that_waited_two_aging_steps_goes_before_a_high_job_that_just_came() throws Exception {
        // two and a half aging steps later: the LOW job has risen past the HIGH level
        assertThat(lowThenHighServedIn(Duration.ofMillis(100), Duration.ofMillis(250)))
                .containsExactly(Priority.LOW, Priority.HIGH);
    }

    @Test
    void without_aging_a_high_job_always_goes_first() throws Exception {
        assertThat(lowThenHighServedIn(Duration.ZERO, Duration.ofDays(1))).containsExactly(Priority.HIGH, Priority.LOW);
    }

    @Test
    void serves_waiters_by_priority_then_arrival_when_room_appears() throws Exception {
        FlakyStore store = new FlakyStore(1);
        CapacityGate gate = gate(store, Duration.ofMinutes(1));
        Lease held = gate.acquire(SLOTS, Priority.LOW, null, 0, "").lease();
        List<Priority> order = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Priority p : List.of(Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.LOW)) {
            int before = gate.waiting();
            all.add(acquireAsync(gate, p).thenAccept(lease -> {
                order.add(p);
                lease.close();
            }));
            await().until(() -> gate.waiting() == before + 1);
        }
        held.close();
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        assertThat(order).containsExactly(Priority.HIGH, Priority.MEDIUM, Priority.LOW, Priority.LOW);
    }

    @Test
    void a_grant_older_than_half_the_window_guard_when_its_request_is_written_may_not_be_written() throws Exception {
        FlakyStore store = new FlakyStore(2);
        store.windowed = true;
        ManualTime time = new ManualTime();
        gate = new CapacityGate(
                        store,
                        SETTINGS,
                        new CapacitySettings(
                                "t",
                                Duration.ofMillis(100),
                                Duration.ofSeconds(1),
                                Duration.ofMillis(5),
                                null,
                                false,
                                Duration.ofMinutes(1),
                                null),
                        Clock.systemUTC(),
                        null,
                        time,
                        time)
                .start();
        try (Lease fresh = gate.acquire(SLOTS, Priority.HIGH, null, 0, "").lease();
                Lease stale = gate.acquire(SLOTS, Priority.HIGH, null, 0, "").lease()) {
            // half the guard is the grant's to be written in, the other half the network's to the provider
            time.advance(Duration.ofMillis(50));
            assertThat(fresh.mayWrite()).as("exactly half the guard old").isTrue();
            time.advance(Duration.ofNanos(1));
            assertThat(stale.mayWrite()).as("a nanosecond past half the guard").isFalse();
        }
        // outside a request window, a concurrency permit still lapses in the store at its lease (the 5 s call timeout
        // plus the 1 s margin): a request is written only while the lease covers its whole call, within the margin
        // less the guard (900 ms); a JVM paused past that would run its call on a permit another worker may hold
        store.windowed = false;
        try (Lease young = gate.acquire(SLOTS, Priority.HIGH, null, 0, "").lease();
                Lease paused = gate.acquire(SLOTS, Priority.HIGH, null, 0, "").lease()) {
            time.advance(Duration.ofMillis(900));
            assertThat(young.mayWrite()).as("the margin less the guard old").isTrue();
            time.advance(Duration.ofNanos(1));
            assertThat(paused.mayWrite()).as("a nanosecond past it").isFalse();
        }
    }
}
