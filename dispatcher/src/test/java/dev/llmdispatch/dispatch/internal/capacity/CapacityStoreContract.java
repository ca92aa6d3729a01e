package dev.llmdispatch.dispatch.internal.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import dev.llmdispatch.dispatch.spi.CapacityStore.Decision;
import dev.llmdispatch.dispatch.spi.CapacityStore.Reason;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * What a capacity store must do, whatever keeps it: server-timed windows, declared limits, fleet-wide priority, token
 * quotas, adaptive limits, lost state. The same cases run on the in-memory store ({@link InMemoryCapacityStoreTest}),
 * on a real {@code redis-server} ({@code RedisCapacityStoreTest}) and on a three-master Redis Cluster
 * ({@code RedisClusterCapacityStoreTest}), so that the double the rules' unit tests use cannot drift from the scripts.
 */
public abstract class CapacityStoreContract {

    protected final String prefix = "store-" + UUID.randomUUID();
    protected final AccountKeys keys = AccountKeys.of(prefix, "acct");
    private final AtomicLong ids = new AtomicLong();
    private CapacityStore store;

    /** The store under test (made once per test). */
    protected abstract CapacityStore newStore();

    /** The limits a release that moves no place passes (they only say how long a moved place must be kept). */
    private static final AccountKeys.Declaration NO_LIMITS = new AccountKeys.Declaration(-1, -1, -1, -1, -1);

    /** The store's clock now, in epoch milliseconds. */
    protected abstract long nowMillis();

    /** Lets {@code time} pass on the store's clock. */
    protected abstract void pass(Duration time);

    /** Waits (or moves the clock) until {@code condition} holds, failing after {@code within} of the store's time. */
    protected abstract void eventually(Duration within, BooleanSupplier condition);

    /** Every key of the account gone, as after Redis restarted empty. */
    protected abstract void lose(AccountKeys account);

    private CapacityStore store() {
        if (store == null) {
            store = newStore();
        }
        return store;
    }

    private static AccountKeys.Declaration limits(int concurrency, long requests, long windowMillis) {
        return new AccountKeys.Declaration(concurrency, requests, windowMillis, -1, -1);
    }

    private Decision ask(AccountKeys.Declaration limits, String epoch) {
        long n = ids.incrementAndGet();
        return store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask(
                                "p" + n, false, 60_000, "r" + n, 0, epoch, "new-epoch-" + n, false, 500, null, null));
    }

    @Test
    void refuses_past_the_window_and_says_when_room_appears() {
        AccountKeys.Declaration limits = limits(-1, 3, 2_000);
        for (int i = 0; i < 3; i++) {
            assertThat(ask(limits, "").reason()).isEqualTo(Reason.GRANTED);
        }
        Decision full = ask(limits, "");
        assertThat(full.reason()).isEqualTo(Reason.REQUESTS);
        // the first grant leaves the window 2 s after it was made, by the server's clock
        assertThat(full.retryMillis()).isBetween(1_000L, 2_001L);
        assertThat(store().usage(keys, limits).requestsInWindow()).isEqualTo(3);
        eventually(Duration.ofSeconds(4), () -> ask(limits, "").granted());
    }

    @Test
    void a_refused_request_takes_nothing_and_an_unsent_one_gives_its_place_back() {
        AccountKeys.Declaration limits = limits(1, 2, 60_000);
        Decision first = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p1", false, 60_000, "r1", 0, "", "e", false, 500, null, null));
        assertThat(first.granted()).isTrue();
        assertThat(ask(limits, "").reason()).isEqualTo(Reason.CONCURRENCY);
        assertThat(store().usage(keys, limits).requestsInWindow()).isEqualTo(1); // the refusal took no place
        store().release(keys, NO_LIMITS, "p1", "r1", null, null); // never sent
        assertThat(store().usage(keys, limits)).isEqualTo(new CapacityStore.Usage(0, 0, 0, 0));
    }

    @Test
    void every_live_declaration_holds_so_the_stricter_limit_wins_during_a_change() {
        AccountKeys.Declaration loose = limits(-1, 5, 60_000);
        AccountKeys.Declaration strict = limits(-1, 3, 60_000);
        assertThat(ask(strict, "").granted()).isTrue();
        for (int i = 0; i < 2; i++) {
            assertThat(ask(loose, "").granted()).isTrue();
        }
        // three in the window: the worker still holding the stricter limit is alive, so the looser one waits too
        assertThat(ask(loose, "").reason()).isEqualTo(Reason.REQUESTS);
        // a changed limit reads the same log: nothing was reset
        assertThat(store().usage(keys, loose).requestsInWindow()).isEqualTo(3);
    }

    @Test
    void a_declared_limit_holds_while_its_worker_lives_though_it_asks_nothing() {
        store().declare(keys, limits(-1, 2, 60_000)); // an old worker, idle on this account
        AccountKeys.Declaration raised = limits(-1, 5, 60_000);
        assertThat(ask(raised, "").granted()).isTrue();
        assertThat(ask(raised, "").granted()).isTrue();
        assertThat(ask(raised, "").reason()).isEqualTo(Reason.REQUESTS);
    }

    @Test
    void a_sent_request_holds_its_place_a_whole_window_from_when_it_was_written() {
        AccountKeys.Declaration limits = limits(-1, 1, 1_500);
        Decision granted = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p1", false, 60_000, "r1", 0, "", "e", false, 500, null, null));
        assertThat(granted.granted()).isTrue();
        // written a second after its grant (a slow JVM, a new connection): its place moves to then
        pass(Duration.ofSeconds(1));
        store().release(keys, limits, "p1", null, null, new CapacityStore.Sent("r1", 0, ""));
        Decision next = ask(limits, "");
        assertThat(next.reason()).isEqualTo(Reason.REQUESTS);
        assertThat(next.retryMillis()).as("from the writing, not the grant").isGreaterThan(1_200);
    }

    @Test
    void a_sent_request_holds_its_tokens_a_whole_window_from_when_it_was_written() {
        AccountKeys.Declaration limits = new AccountKeys.Declaration(-1, -1, -1, 100, 1_500);
        Decision granted = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p1", false, 60_000, "r1", 80, "", "e", false, 500, null, null));
        assertThat(granted.tokens()).isEqualTo(80);
        // written a second after its grant: the provider counts its tokens from then
        pass(Duration.ofSeconds(1));
        store().release(keys, limits, "p1", null, null, new CapacityStore.Sent("", 0, "r1:80"));
        pass(Duration.ofMillis(700)); // past a window from the grant, inside one from the writing
        Decision next = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p2", false, 60_000, "r2", 80, "", "e", false, 500, null, null));
        assertThat(next.reason()).isEqualTo(Reason.TOKENS);
    }

    @Test
    void scarce_room_goes_to_the_more_urgent_job_of_another_worker() {
        AccountKeys.Declaration limits = limits(2, -1, -1);
        // each worker has more jobs waiting: a grant leaves its entry
        CapacityStore.Waiting urgent = new CapacityStore.Waiting("worker-b", -5_000, 2_000, 100, -5_000L);
        CapacityStore.Waiting patient = new CapacityStore.Waiting("worker-a", 60_000, 2_000, 100, 60_000L);
        store().publishWaiting(keys, "worker-b", urgent); // B waits with a job ranked well before A's
        // two free permits and one worker ahead: A still gets one
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("a1", false, 60_000, "r1", 0, "", "e", false, 500, null, patient))
                        .reason())
                .isEqualTo(Reason.GRANTED);
        // the last one is B's
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("a2", false, 60_000, "r2", 0, "", "e", false, 500, null, patient))
                        .reason())
                .isEqualTo(Reason.PRIORITY);
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("b1", false, 60_000, "r3", 0, "", "e", false, 500, null, urgent))
                        .reason())
                .isEqualTo(Reason.GRANTED);
        // B withdraws (nothing more waiting): A is served when room appears
        store().publishWaiting(keys, "worker-b", null);
        store().release(keys, NO_LIMITS, "b1", null, null, null);
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("a3", false, 60_000, "r4", 0, "", "e", false, 500, null, patient))
                        .reason())
                .isEqualTo(Reason.GRANTED);
    }

    /**
     * Hole 9 of issue 22: a large job waiting on a busy token window starved, smaller jobs of other workers keeping the
     * window full. While a more urgent job waits for tokens, what it needs is kept from less urgent ones.
     */
    @Test
    void a_large_job_waiting_for_tokens_keeps_them_from_less_urgent_jobs_of_other_workers() {
        AccountKeys.Declaration limits = new AccountKeys.Declaration(-1, -1, -1, 1_000, 60_000);
        assertThat(tokensAsk(limits, "a1", 700, null)).isEqualTo(Reason.GRANTED);
        CapacityStore.Waiting large = new CapacityStore.Waiting("worker-b", -5_000, 2_000, 100, null, 600, 0);
        assertThat(tokensAsk(limits, "b1", 600, large))
                .as("700 + 600 do not fit: it waits for the window to slide")
                .isEqualTo(Reason.TOKENS);
        CapacityStore.Waiting small = new CapacityStore.Waiting("worker-c", 60_000, 2_000, 100, null, 200, 0);
        assertThat(tokensAsk(limits, "c1", 200, small))
                .as("700 + 200 would fit, but the room is what the more urgent job waits for")
                .isEqualTo(Reason.PRIORITY);
        CapacityStore.Waiting smallFirst = new CapacityStore.Waiting("worker-c", -9_000, 2_000, 100, null, 200, 0);
        assertThat(tokensAsk(limits, "c2", 200, smallFirst))
                .as("a job more urgent than the large one goes first")
                .isEqualTo(Reason.GRANTED);
        store().publishWaiting(keys, "worker-b", null); // the large job went elsewhere
        assertThat(tokensAsk(limits, "c3", 100, small)).isEqualTo(Reason.GRANTED);
    }

    @Test
    void a_job_that_no_longer_fits_the_days_quota_keeps_nothing_from_smaller_ones() {
        // during a rolling change another worker holds the account to 1,500 tokens a day (UTC) as well
        store().declare(keys, new AccountKeys.Declaration(-1, -1, -1, 1_500, AccountKeys.Declaration.DAILY_FROM));
        AccountKeys.Declaration limits = new AccountKeys.Declaration(-1, -1, -1, 1_000, 60_000);
        assertThat(tokensAsk(limits, "a1", 700, null)).isEqualTo(Reason.GRANTED);
        CapacityStore.Waiting large = new CapacityStore.Waiting("worker-b", -5_000, 2_000, 100, null, 900, 0);
        assertThat(tokensAsk(limits, "b1", 900, large))
                .as("900 fit neither the window nor the 800 left of the day")
                .isEqualTo(Reason.TOKENS);
        CapacityStore.Waiting small = new CapacityStore.Waiting("worker-c", 60_000, 2_000, 100, null, 200, 0);
        assertThat(tokensAsk(limits, "c1", 200, small))
                .as("the large job cannot run before the day ends: the room is not kept for it")
                .isEqualTo(Reason.GRANTED);
    }

    private Reason tokensAsk(AccountKeys.Declaration limits, String id, long tokens, CapacityStore.Waiting waiting) {
        return store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask(id, false, 60_000, "r-" + id, tokens, "", "e", false, 500, null, waiting))
                .reason();
    }

    @Test
    void a_grant_takes_the_workers_entry_away_in_the_same_call_unless_another_of_its_jobs_waits() {
        AccountKeys.Declaration limits = limits(2, -1, -1);
        CapacityStore.Waiting patient = new CapacityStore.Waiting("worker-a", 60_000, 2_000, 100, 60_000L);
        // B's first job granted with another waiting: B's entry stays, at the next job's rank, ahead of A's
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask(
                                        "b1",
                                        false,
                                        60_000,
                                        "r1",
                                        0,
                                        "",
                                        "e",
                                        false,
                                        500,
                                        null,
                                        new CapacityStore.Waiting("worker-b", -5_000, 2_000, 100, -4_000L)))
                        .reason())
                .isEqualTo(Reason.GRANTED);
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("a1", false, 60_000, "r2", 0, "", "e", false, 500, null, patient))
                        .reason())
                .as("the last permit is B's next job's")
                .isEqualTo(Reason.PRIORITY);
        // B's last job granted: its entry goes with the grant, no withdrawal needed
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask(
                                        "b2",
                                        false,
                                        60_000,
                                        "r3",
                                        0,
                                        "",
                                        "e",
                                        false,
                                        500,
                                        null,
                                        new CapacityStore.Waiting("worker-b", -4_000, 2_000, 100, null)))
                        .reason())
                .isEqualTo(Reason.GRANTED);
        store().release(keys, NO_LIMITS, "b1", null, null, null);
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("a2", false, 60_000, "r4", 0, "", "e", false, 500, null, patient))
                        .reason())
                .as("nothing of B's waits any more")
                .isEqualTo(Reason.GRANTED);
    }

    @Test
    void a_held_permit_is_not_renewed_while_more_are_in_flight_than_the_strictest_limit_allows() {
        AccountKeys.Declaration three = limits(3, -1, -1);
        for (int i = 1; i <= 3; i++) {
            assertThat(store().acquire(
                                    keys,
                                    three,
                                    new CapacityStore.Ask(
                                            "p" + i, false, 60_000, "r" + i, 0, "", "e", false, 500, null, null))
                            .granted())
                    .isTrue();
        }
        // a worker holding the account to 2 in flight joins: a finished call's permit is not handed on
        Decision renewed = store().acquire(
                        keys,
                        limits(2, -1, -1),
                        new CapacityStore.Ask("p1", true, 60_000, "r4", 0, "", "e", false, 500, null, null));
        assertThat(renewed.reason()).isEqualTo(Reason.CONCURRENCY);
    }

    @Test
    void another_workers_token_quota_holds_for_a_worker_without_one() {
        store().declare(keys, new AccountKeys.Declaration(-1, -1, -1, 100, 60_000));
        AccountKeys.Declaration none = limits(-1, -1, -1);
        Decision first = store().acquire(
                        keys,
                        none,
                        new CapacityStore.Ask("p1", false, 60_000, "r1", 80, "", "e", false, 500, null, null));
        assertThat(first.granted()).isTrue();
        assertThat(first.tokens()).isEqualTo(80);
        assertThat(store().acquire(
                                keys,
                                none,
                                new CapacityStore.Ask("p2", false, 60_000, "r2", 30, "", "e", false, 500, null, null))
                        .reason())
                .isEqualTo(Reason.TOKENS);
    }

    @Test
    void in_flight_permits_come_back_when_their_lease_ends() {
        AccountKeys.Declaration limits = limits(1, -1, -1);
        Decision held = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("crashed", false, 300, "r", 0, "", "e", false, 500, null, null));
        assertThat(held.granted()).isTrue();
        assertThat(ask(limits, "").reason()).isEqualTo(Reason.CONCURRENCY);
        eventually(Duration.ofSeconds(3), () -> ask(limits, "").granted());
    }

    @Test
    void a_lost_state_grants_nothing_until_live_workers_put_back_their_permits_and_the_window_has_passed() {
        AccountKeys.Declaration limits = limits(2, 10, 1_500);
        Decision first = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask(
                                "held-1", false, 60_000, "r-held", 0, "", "epoch-1", false, 500, null, null));
        assertThat(first.granted()).isTrue();
        String epoch = first.epoch();

        // Redis restarted empty (no persistence, or a failover to a replica that lagged)
        lose(keys);

        // a worker that knew the state finds it gone: told to put back its permits, no grant
        Decision lost = ask(limits, epoch);
        assertThat(lost.reason()).isEqualTo(Reason.EPOCH);
        String now = store().restore(keys, limits, epoch, "unused", Map.of("held-1", 60_000L), 500);
        assertThat(now).isEqualTo(lost.epoch()).isNotEqualTo(epoch);
        assertThat(store().usage(keys, limits).inFlight()).isEqualTo(1);

        // while the state rebuilds, nothing is granted, to anyone
        Decision rebuilding = ask(limits, now);
        assertThat(rebuilding.reason()).isEqualTo(Reason.REBUILDING);
        assertThat(store().usage(keys, limits).rebuildingMillis()).isPositive();
        // then, one request window after the loss, the account serves again, the put-back permit still counted
        eventually(Duration.ofSeconds(4), () -> ask(limits, now).granted());
        assertThat(ask(limits, now).reason()).isEqualTo(Reason.CONCURRENCY);
    }

    @Test
    void a_worker_that_never_knew_the_state_starts_it_at_once_unless_told_to_wait() {
        AccountKeys.Declaration limits = limits(-1, 10, 60_000);
        Decision quiet = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p", false, 1_000, "r", 0, "", "e1", true, 500, null, null));
        assertThat(quiet.reason()).isEqualTo(Reason.REBUILDING);
        assertThat(store().usage(keys, limits).rebuildingMillis()).isGreaterThan(59_000); // a whole request window

        AccountKeys other = AccountKeys.of(prefix + "-other", "acct");
        Decision fresh = store().acquire(
                        other,
                        limits,
                        new CapacityStore.Ask("p", false, 1_000, "r", 0, "", "e2", false, 500, null, null));
        assertThat(fresh.granted()).isTrue();
    }

    @Test
    void a_place_moved_to_a_late_send_outlives_the_expiry_its_grant_set() {
        // the keys of the windows expire a window (and a second) after the last grant; a request that left later than
        // that second holds its places beyond it
        AccountKeys.Declaration limits = new AccountKeys.Declaration(-1, 1, 1_500, -1, -1);
        AccountKeys.Declaration quota = new AccountKeys.Declaration(-1, -1, -1, 100, 1_500);
        AccountKeys tokenKeys = AccountKeys.of(prefix + "-tokens", "acct");
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("p1", false, 60_000, "r1", 0, "", "e", false, 500, null, null))
                        .granted())
                .isTrue();
        assertThat(store().acquire(
                                tokenKeys,
                                quota,
                                new CapacityStore.Ask("t1", false, 60_000, "q1", 80, "", "e", false, 500, null, null))
                        .tokens())
                .isEqualTo(80);
        pass(Duration.ofSeconds(2)); // a starved JVM: the requests leave two seconds after their grants
        store().release(keys, limits, "p1", null, null, new CapacityStore.Sent("r1", 0, ""));
        store().release(tokenKeys, quota, "t1", null, null, new CapacityStore.Sent("", 0, "q1:80"));
        pass(Duration.ofSeconds(1)); // past the grants' expiry, inside a window from the send
        assertThat(ask(limits, "").reason()).isEqualTo(Reason.REQUESTS);
        assertThat(store().acquire(
                                tokenKeys,
                                quota,
                                new CapacityStore.Ask("t2", false, 60_000, "q2", 80, "", "e", false, 500, null, null))
                        .reason())
                .isEqualTo(Reason.TOKENS);
    }

    @Test
    void after_a_loss_an_account_with_only_a_token_quota_waits_out_its_token_window() {
        AccountKeys.Declaration limits = new AccountKeys.Declaration(-1, -1, -1, 100, 60_000);
        Decision first = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p1", false, 1_000, "r1", 80, "", "e1", false, 500, null, null));
        assertThat(first.granted()).isTrue();
        // the state and its tokens are gone (a restart without persistence); the 80 tokens are still in the
        // provider's window, so a worker that knew the state gets nothing for a whole token window
        String epoch = first.epoch();
        lose(keys);
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask(
                                        "p2", false, 1_000, "r2", 80, epoch, "e2", false, 500, null, null))
                        .reason())
                .isEqualTo(Reason.EPOCH);
        Decision quiet = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p3", false, 1_000, "r3", 80, "e2", "e3", false, 500, null, null));
        assertThat(quiet.reason()).isEqualTo(Reason.REBUILDING);
        assertThat(store().usage(keys, limits).rebuildingMillis()).isGreaterThan(59_000);
    }

    @Test
    void a_token_refusal_takes_no_request_place() {
        AccountKeys.Declaration limits = new AccountKeys.Declaration(-1, 10, 60_000, 100, 60_000);
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("p1", false, 1_000, "r1", 80, "", "e", false, 500, null, null))
                        .granted())
                .isTrue();
        Decision refused = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p2", false, 1_000, "r2", 30, "", "e", false, 500, null, null));
        assertThat(refused.reason()).isEqualTo(Reason.TOKENS);
        assertThat(store().usage(keys, limits)).isEqualTo(new CapacityStore.Usage(1, 1, 80, 0));
    }

    @Test
    void a_daily_quota_counts_from_the_start_of_its_day_and_starts_afresh_at_the_reset() {
        // a quota day that ends three seconds from now, by UTC: what is spent now belongs to the day ending then
        LocalTime resetAt = LocalTime.ofInstant(
                        Instant.ofEpochMilli(nowMillis()).plusSeconds(3), ZoneOffset.UTC)
                .truncatedTo(ChronoUnit.SECONDS);
        AccountKeys.Declaration daily = AccountKeys.Declaration.of(
                new Limits(null, null, null, 100L, null, resetAt + " UTC", null),
                Duration.ofMillis(500),
                Instant.ofEpochMilli(nowMillis()));
        assertThat(daily.tokenWindowMillis()).isLessThanOrEqualTo(AccountKeys.Declaration.DAILY_FROM);

        assertThat(askTokens(daily, 60).granted()).isTrue();
        Decision over = askTokens(daily, 50);
        assertThat(over.reason()).isEqualTo(Reason.TOKENS);
        assertThat(over.retryMillis()).as("until the reset").isBetween(1L, 3_100L);
        assertThat(store().usage(keys, daily).tokensInWindow()).isEqualTo(60);

        eventually(Duration.ofSeconds(6), () -> askTokens(daily, 50).granted());
        assertThat(store().usage(keys, daily).tokensInWindow())
                .as("the new day's only")
                .isEqualTo(50);
    }

    @Test
    void the_adaptive_limit_moves_slowly_around_the_level_it_was_cut_from_and_forgets_it_once_past() {
        AccountKeys.Declaration limits = limits(10, -1, 60_000);
        for (int i = 0; i < 5; i++) { // half of the ceiling in flight: the limit is in use, so healthy calls count
            assertThat(ask(limits, "").granted()).isTrue();
        }
        long later = nowMillis() + 60_000; // granted after any cut: each cut below counts
        assertThat(store().adapt(keys, true, 0, 10, later, 750))
                .as("cut from the ceiling")
                .isEqualTo(7);
        assertThat(store().adapt(keys, true, 0, 10, later, 750))
                .as("cut from 7")
                .isEqualTo(5);
        assertThat(store().adapt(keys, false, 4 * 5 - 1, 10, 0, 750))
                .as("5: four rounds but one, reported at once")
                .isEqualTo(5);
        assertThat(healthy(1)).as("5 -> 6: four rounds").isEqualTo(6);
        assertThat(healthy(4 * 6))
                .as("6 -> 7, the level of the last cut: not after four rounds")
                .isEqualTo(6);
        assertThat(healthy(32 * 6 - 4 * 6)).as("... but after thirty-two").isEqualTo(7);
        assertThat(healthy(4 * 7))
                .as("7 -> 8, past it: not after four rounds either")
                .isEqualTo(7);
        assertThat(healthy(32 * 7 - 4 * 7)).as("... but after thirty-two").isEqualTo(8);
        assertThat(healthy(4 * 8))
                .as("8 -> 9: the cut level forgotten, four rounds again")
                .isEqualTo(9);
    }

    @Test
    void a_held_permit_gone_from_the_store_is_lost_and_not_taken_again() {
        AccountKeys.Declaration limits = limits(2, -1, -1);
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("p1", false, 60_000, "r1", 0, "", "e", false, 500, null, null))
                        .granted())
                .isTrue();
        store().release(keys, NO_LIMITS, "p1", null, null, null);
        Decision renewed = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p1", true, 60_000, "r2", 0, "", "e", false, 500, null, null));
        assertThat(renewed.reason()).isEqualTo(Reason.LOST_PERMIT);
        assertThat(store().usage(keys, limits).inFlight()).isZero();
    }

    @Test
    void a_charge_replaces_the_estimate_by_what_was_used_in_the_same_place() {
        AccountKeys.Declaration limits = new AccountKeys.Declaration(-1, -1, -1, 100, 60_000);
        Decision first = store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask("p1", false, 60_000, "r1", 90, "", "e", false, 500, null, null));
        assertThat(first.tokens()).isEqualTo(90);
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("p2", false, 60_000, "r2", 20, "", "e", false, 500, null, null))
                        .reason())
                .isEqualTo(Reason.TOKENS);
        store().charge(keys, "r1:90", "r1:30"); // the provider used 30
        assertThat(store().usage(keys, limits).tokensInWindow()).isEqualTo(30);
        assertThat(store().acquire(
                                keys,
                                limits,
                                new CapacityStore.Ask("p3", false, 60_000, "r3", 20, "", "e", false, 500, null, null))
                        .granted())
                .isTrue();
        store().charge(keys, "gone:5", "gone:1"); // an entry no longer there: nothing happens
        assertThat(store().usage(keys, limits).tokensInWindow()).isEqualTo(50);
    }

    @SuppressWarnings("try") // the listener is kept for the test's length, not used by name
    @Test
    void a_release_is_announced_to_every_listener_once_and_only_when_it_freed_something() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        try (AutoCloseable listening = store().onRelease(heard::add)) {
            AccountKeys.Declaration limits = limits(1, -1, -1);
            assertThat(ask(limits, "").granted()).isTrue();
            long n = ids.get();
            store().release(keys, NO_LIMITS, "p" + n, null, null, null);
            eventually(Duration.ofSeconds(5), () -> heard.size() == 1);
            store().release(keys, NO_LIMITS, "p" + n, null, null, null); // already given back: nothing to announce
            pass(Duration.ofMillis(200));
            assertThat(heard).containsExactly("acct");
        }
    }

    /** Reports {@code n} healthy calls; the limit after the last. */
    private long healthy(int n) {
        long limit = -1;
        for (int i = 0; i < n; i++) {
            limit = store().adapt(keys, false, 1, 10, 0, 750);
        }
        return limit;
    }

    private Decision askTokens(AccountKeys.Declaration limits, long tokens) {
        long n = ids.incrementAndGet();
        return store().acquire(
                        keys,
                        limits,
                        new CapacityStore.Ask(
                                "p" + n, false, 60_000, "r" + n, tokens, "", "e" + n, false, 500, null, null));
    }
}
