package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.AccountUsage;
import dev.llmdispatch.dispatch.Capacity;
import dev.llmdispatch.dispatch.WaitCancelledException;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out capacity on provider accounts, shared by the whole fleet through a {@link CapacityStore} (Redis), to the
 * jobs of this worker in priority order (HIGH, then MEDIUM, then LOW; first come first served within a priority),
 * a waiting job rising one level for every {@link CapacitySettings#priorityAging()} it waits, so that a LOW job
 * under a sustained HIGH load is still served. The order holds across the fleet: each worker keeps in Redis the
 * rank of its most urgent job waiting for each account, and while an account has capacity for no more than the workers
 * holding more urgent jobs for it, a less urgent job is refused there (also when a finished call would hand its
 * permit on locally), so a freed permit goes to the most urgent job anywhere.
 *
 * <p>A job that finds no capacity waits without polling Redis in a loop: one granter thread per worker retries
 * the waiting jobs when capacity may have appeared — when a permit is released here, when another worker
 * announces a release (Redis pub/sub), or, for an account refused for its request or token window, when the
 * store said capacity would appear. In a round, an account found full is not asked again for a job of lower
 * priority, so a round costs at most one refused call per account. Between rounds the gate remembers which
 * accounts were full: one without a free concurrency permit until a release of that account is announced (or a
 * second passes: a crashed worker's lease expires silently), one without window capacity until the store's time.
 *
 * <p>Every path out of a wait gives back what it took: a store error leaves the waiter unclaimed and the account
 * alone for a moment; a job that waited {@link CapacitySettings#redisOutageWait()} while every store call failed
 * ends with {@link CapacityUnavailableException}. A worker holding permits checks every
 * {@link CapacitySettings#syncInterval()} that the limit state is still in Redis, and puts its permits back if not.
 */
public final class CapacityGate implements Capacity, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CapacityGate.class);

    final Map<String, AccountCapacity> accounts = new HashMap<>();
    final AccountOrder order;
    final CapacitySettings settings;
    final Clock clock;
    final Ticker ticker;
    final Sleeper sleeper;
    private final long originNanos;
    final WaitQueue queue = new WaitQueue();
    final AccountAvailability availability;
    final FleetWaiting fleetWaiting;
    private final FairShare fairShare;
    private final CapacityStore store;
    private volatile AutoCloseable releaseListener = () -> {};
    private final AtomicLong seq = new AtomicLong();
    /** The ticker reading since which every call to the store failed; 0 while it answers. */
    final AtomicLong storeFailingSince = new AtomicLong();

    volatile String lastStoreError = "";
    private final Granter granter;
    private final PermitHandOver permitHandOver;
    private final ScheduledExecutorService syncer;
    private final AtomicBoolean started = new AtomicBoolean();
    /** Where store calls that no caller waits for run: a virtual thread each; the simulation runs them in place. */
    Executor background = task -> Thread.ofVirtual().name("window-place").start(task);

    volatile boolean running = true;

    public CapacityGate(
            CapacityStore store,
            DispatchSettings dispatch,
            CapacitySettings settings,
            Clock clock,
            Cooldowns cooldowns) {
        this(store, dispatch, settings, clock, cooldowns, Ticker.SYSTEM, Sleeper.SYSTEM);
    }

    /**
     * @param cooldowns fleet-wide blocks: a blocked account gets no job; a waiter whose every account is blocked
     *                  for more than a brief cooldown is let go ({@link NoUsableAccountException}); null for none
     * @param ticker    the gate's ticker (waiting, aging, how long an account is left alone); tests set it by hand
     * @param sleeper   the granter's pause after a failed round
     */
    CapacityGate(
            CapacityStore store,
            DispatchSettings dispatch,
            CapacitySettings settings,
            Clock clock,
            Cooldowns cooldowns,
            Ticker ticker,
            Sleeper sleeper) {
        this.settings = settings;
        this.clock = clock;
        this.ticker = ticker;
        this.sleeper = sleeper;
        this.originNanos = ticker.nanos();
        this.availability =
                new AccountAvailability(cooldowns, ticker, settings.ratePoll().toNanos());
        String workerId = UUID.randomUUID().toString().substring(0, 8);
        this.fleetWaiting = new FleetWaiting(workerId, settings.priorityAging().toMillis(), ticker);
        long aging = settings.priorityAging().toNanos();
        this.fairShare = new FairShare(aging > 0 ? aging / 2 : TimeUnit.SECONDS.toNanos(15));
        dispatch.providers().forEach((name, provider) -> {
            for (AccountSettings account : provider.accounts()) {
                if (account.enabled()) {
                    accounts.put(
                            account.id(),
                            new AccountCapacity(store, settings, account, provider.timeout(), workerId, ticker, clock));
                }
            }
        });
        this.order = new AccountOrder(dispatch.providers(), accountId -> {
            AccountCapacity c = accounts.get(accountId);
            try {
                return c.usage().inFlight() / (double) c.concurrencyLimit();
            } catch (RuntimeException e) {
                storeError(accountId, e); // a read that answers says nothing of whether grants can be written
                return 1.0;
            }
        });
        this.store = store;
        this.granter = new Granter(this);
        this.permitHandOver = new PermitHandOver(this);
        this.syncer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("capacity-sync").daemon().factory());
    }

    /**
     * Starts the gate's work once it is whole: the granter thread, the release announcements, and the periodic sync of
     * each account's state with the store. Nothing runs before (no thread sees a gate half built); a job that asks
     * before it waits until then.
     *
     * @return this gate
     */
    public CapacityGate start() {
        if (!started.compareAndSet(false, true)) {
            return this;
        }
        // the granter first: a release announced as soon as the listener is in place wakes it
        granter.start();
        releaseListener = store.onRelease(this::released);
        long every = settings.syncInterval().toMillis();
        syncer.scheduleWithFixedDelay(this::syncAll, every, every, TimeUnit.MILLISECONDS);
        return this;
    }

    /** The tenants' fair-share weights (default 1 each). */
    public void tenantWeights(ToIntFunction<String> weights) {
        fairShare.weights(weights);
    }

    /**
     * Waits for capacity on one of {@code candidates} (tried in order, each provider's accounts in its balance order),
     * for a tenant's job: among jobs of one priority, tenants
     * share the capacity by weight (start-time fair queuing, {@link FairShare}): a job counts as having started to wait
     * at {@code max(now, its tenant's previous job's start + quantum / weight)}, the quantum being the interval between
     * the priority's grants now, so that a tenant with 60 jobs waiting does not keep another tenant's jobs behind them
     * all, and a tenant's own jobs keep their order. The lead is capped at half the priority aging step (15 s by
     * default), so that it never outweighs a priority level; the fleet sees the same start.
     *
     * @param deadline give up at this instant (null: wait as long as it takes)
     * @param tokens   estimated tokens, for accounts with a token quota
     * @param tenant   the job's tenant ("" or null: the jobs without one, as one tenant)
     * @return the lease, or {@link Acquisition.Expired} when the deadline passed first
     * @throws NoUsableAccountException     every account of the candidates is blocked for more than a brief cooldown
     * @throws WaitCancelledException       {@link #cancelWaits} stopped the wait
     * @throws CapacityUnavailableException the store (Redis) failed for the whole of the outage wait
     */
    public Acquisition acquire(
            List<Candidate> candidates, Priority priority, Instant deadline, long tokens, String tenant)
            throws InterruptedException {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidates to acquire");
        }
        String who = tenant == null ? "" : tenant;
        long now = ticker.nanos();
        long fairStart = fairShare.start(priority, who, now);
        Waiter waiter = new Waiter(
                List.copyOf(candidates),
                priority,
                seq.incrementAndGet(),
                deadline,
                tokens,
                now,
                originNanos,
                settings.priorityAging().toNanos(),
                who,
                fairStart);
        queue.add(waiter);
        granter.signal();
        try {
            Lease lease;
            if (deadline == null) {
                lease = waiter.future.get();
            } else {
                long millis = deadline.toEpochMilli() - clock.millis();
                lease = waiter.future.get(Math.max(0, millis), TimeUnit.MILLISECONDS);
            }
            fairShare.granted(priority, ticker.nanos());
            return new Acquisition.Acquired(lease);
        } catch (TimeoutException e) {
            Lease late = abandon(waiter); // granted as the deadline passed: taken all the same
            return late != null ? new Acquisition.Acquired(late) : new Acquisition.Expired(deadline);
        } catch (InterruptedException e) {
            Lease lease = abandon(waiter);
            if (lease != null) {
                lease.unsend();
            }
            throw e;
        } catch (CancellationException e) {
            throw new WaitCancelledException();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException known) {
                throw known;
            }
            throw new IllegalStateException("capacity gate failed: " + e.getMessage(), e);
        }
    }

    /**
     * Takes capacity on exactly this candidate's account if there is some now, without waiting and ahead of any waiting job
     * (a health probe's one request); null when there is none.
     */
    public Lease tryAcquireNow(Candidate candidate, long tokens) {
        AccountCapacity capacity = accounts.get(candidate.accountId());
        if (capacity == null) {
            return null;
        }
        AccountCapacity.Grant grant = stored(() -> capacity.tryAcquire(tokens, null));
        return grant.granted() ? new Lease(candidate, grant, this, 0) : null;
    }

    /**
     * Stops the capacity waits of these threads: their {@link #acquire} throws {@link WaitCancelledException}.
     * A worker losing a partition uses it so that jobs not yet at a provider go back to Kafka at once.
     */
    public void cancelWaits(Collection<Thread> threads) {
        queue.cancel(threads);
    }

    /** Whether this thread is waiting in {@link #acquire} now. */
    public boolean isWaiting(Thread thread) {
        return queue.isWaiting(thread);
    }

    /** Stops waiting; a lease granted in the meantime is handed back to the caller. */
    private Lease abandon(Waiter waiter) {
        if (waiter.future.cancel(false)) {
            queue.remove(waiter);
            return null;
        }
        try {
            return waiter.future.join();
        } catch (RuntimeException e) {
            return null; // it ended otherwise meanwhile (outage, blocked accounts): nothing was taken
        }
    }

    /**
     * Moves a request's window place to when it left, in the background (the caller is the HTTP client's thread): a
     * request that left past the guard. The release moves it again when the call ends; a failure here leaves that.
     */
    void movePlace(Lease lease) {
        background.execute(() -> {
            try {
                stored(() -> accounts.get(lease.candidate().accountId()).movePlace(lease.grant(), lease.sent()));
            } catch (RuntimeException e) {
                log.warn(
                        "account {}: a late request's window place not moved yet ({}); it is when the call ends",
                        lease.candidate().accountId(),
                        e.toString());
            }
        });
    }

    /** Ends a lease: hands its permit to a waiting job, gives it back, or keeps it counting until its lease ends. */
    void release(Lease lease, boolean keepPermit, boolean unsent) {
        String accountId = lease.candidate().accountId();
        if (!keepPermit && !unsent && permitHandOver.tryHandOver(lease)) {
            return;
        }
        AccountCapacity.Grant grant = lease.grant();
        try {
            stored(() -> {
                accounts.get(accountId).release(grant, keepPermit, unsent, lease.sent());
                return null;
            });
        } catch (RuntimeException e) {
            log.warn(
                    "account {}: could not give back capacity in Redis ({}); the permit comes back when its lease ends",
                    accountId,
                    e.toString());
        } finally {
            if (!keepPermit) {
                released(accountId);
            }
        }
    }

    /**
     * Asks the store for capacity for {@code waiter} on the account ({@code call}: a new permit, or a finished call's
     * reused), this worker's entry among the fleet's waiting jobs going with the ask: it stands for the waiter while
     * refused, and once granted for this worker's next job waiting for the account, or goes.
     */
    AccountCapacity.Grant ask(
            Waiter waiter, String accountId, Function<CapacityStore.Waiting, AccountCapacity.Grant> call) {
        CapacityStore.Waiting waiting =
                fleetWaiting.asking(waiter, queue.mostUrgentFor(accountId, clock.millis(), waiter));
        AccountCapacity.Grant grant = stored(() -> call.apply(waiting));
        // a job that came to wait for the account during the ask keeps the entry renewed
        boolean waitsNow = grant.granted()
                && waiting.nextUrgencyMillis() == null
                && queue.mostUrgentFor(accountId, clock.millis(), waiter) != null;
        fleetWaiting.answered(accountId, waiting, grant.granted(), waitsNow);
        return grant;
    }

    /** Runs a store call, keeping track of whether the store answers at all. */
    <T> T stored(Supplier<T> call) {
        T result = call.get();
        storeFailingSince.set(0);
        return result;
    }

    void storeError(String accountId, RuntimeException e) {
        if (storeFailingSince.compareAndSet(0, ticker.nanos())) {
            log.warn("capacity store (Redis) failed for account {}: {}; jobs keep waiting", accountId, e.toString());
        }
        lastStoreError = e.toString();
        availability.storeFailed(accountId);
    }

    private void released(String accountId) {
        availability.released(accountId);
        granter.signal();
    }

    /** Concurrency permits handed from a finished call straight to a waiting job of this worker. */
    public long handedOver() {
        return permitHandOver.handedOver();
    }

    /** The gate's ticker (waiting, aging, grant ages). */
    long nanos() {
        return ticker.nanos();
    }

    /**
     * The oldest a grant in a window may be when its request is written, and when it leaves without its place being
     * moved: half the window guard, the other half being the network's from there to the provider. The guard is the
     * whole budget from a grant to the request's arrival, which the windows are widened by.
     */
    long writeWithinNanos() {
        return settings.windowGuard().toNanos() / 2;
    }

    /**
     * The oldest a concurrency permit's grant may be when its request is written: the lease margin less the window
     * guard, so that the permit's lease (the call's timeout plus the margin) covers the whole call.
     */
    long permitWriteNanos() {
        return Math.max(
                0, settings.leaseMargin().toNanos() - settings.windowGuard().toNanos());
    }

    /** An account's limits and fleet-wide use now, from Redis (one call). */
    public AccountUsage usage(String accountId) {
        AccountCapacity c = accounts.get(accountId);
        CapacityStore.Usage u = c.usage();
        return new AccountUsage(
                c.concurrencyLimit() == Integer.MAX_VALUE ? null : c.concurrencyLimit(),
                c.requestLimit(),
                c.tokenQuota(),
                u.inFlight(),
                u.requestsInWindow(),
                u.tokensInWindow(),
                u.rebuildingMillis(),
                c.adaptiveLimit() < 0 ? null : c.adaptiveLimit());
    }

    /** An account's configured token quota per window (null: none), without asking the store. */
    public Long tokenQuota(String accountId) {
        return accounts.get(accountId).tokenQuota();
    }

    /** The enabled accounts this gate hands out capacity on. */
    public Set<String> accountIds() {
        return Set.copyOf(accounts.keySet());
    }

    /** Jobs of this worker waiting for capacity. */
    public int waiting() {
        return queue.size();
    }

    /** Checks every account's state with the store; the gate's syncer runs it every sync interval. */
    void syncAll() {
        fleetWaiting.sync(queue::mostUrgentPerAccount, accounts::get, true);
        for (AccountCapacity capacity : accounts.values()) {
            try {
                capacity.sync();
            } catch (RuntimeException e) {
                log.debug("account {}: state check failed: {}", capacity.accountId, e.toString());
            }
        }
    }

    long waitedMillis(Waiter waiter) {
        return TimeUnit.NANOSECONDS.toMillis(waitedNanos(waiter));
    }

    long waitedNanos(Waiter waiter) {
        return ticker.nanos() - waiter.enqueuedNanos;
    }

    @Override
    public void close() {
        running = false;
        granter.stop();
        syncer.shutdownNow();
        try {
            releaseListener.close();
        } catch (Exception e) {
            log.debug("removing the release listener: {}", e.toString());
        }
        queue.cancelAll();
    }
}
