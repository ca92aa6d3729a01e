package dev.llmdispatch.dispatch.capacity;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.resilience.Cooldowns;
import dev.llmdispatch.dispatch.routing.Slot;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out room on provider accounts, shared by the whole fleet through a {@link CapacityStore} (Redis), to the
 * jobs of this worker in priority order (HIGH, then MEDIUM, then LOW; first come first served within a priority),
 * a waiting job rising one level for every {@link CapacitySettings#priorityAging()} it waits, so that a LOW job
 * under a sustained HIGH load is still served. The order holds across the fleet: each worker keeps in Redis the
 * rank of its most urgent job waiting for each account, and while an account has room for no more than the workers
 * holding more urgent jobs for it, a less urgent job is refused there (also when a finished call would hand its
 * permit on locally), so a freed permit goes to the most urgent job anywhere.
 *
 * <p>A job that finds no room waits without polling Redis in a loop: one granter thread per worker retries
 * the waiting jobs when room may have appeared — when a permit is released here, when another worker
 * announces a release (Redis pub/sub), or, for an account refused for its request or token window, when the
 * store said room would appear. In a round, an account found full is not asked again for a job of lower
 * priority, so a round costs at most one refused call per account. Between rounds the gate remembers which
 * accounts were full: one without a free concurrency permit until a release of that account is announced (or a
 * second passes: a crashed worker's lease expires silently), one without window room until the store's time.
 *
 * <p>Every path out of a wait gives back what it took: a store error leaves the waiter unclaimed and the account
 * alone for a moment; a job that waited {@link CapacitySettings#redisOutageWait()} while every store call failed
 * ends with {@link CapacityUnavailableException}. A worker holding permits checks every
 * {@link CapacitySettings#syncInterval()} that the limit state is still in Redis, and puts its permits back if not.
 */
public final class CapacityGate implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CapacityGate.class);
    private static final long IDLE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long this worker's entry among an account's waiting jobs holds without being renewed. */
    private static final long WAITING_TTL_MILLIS = 2_000;

    private final Map<String, AccountCapacity> accounts = new HashMap<>();
    private final Map<String, ProviderSettings> providers;
    private final Map<String, AtomicLong> roundRobin = new HashMap<>();
    private final CapacitySettings settings;
    private final Cooldowns cooldowns;
    private final Clock clock;
    private final AutoCloseable releaseListener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>(
            Comparator.comparingLong((Waiter w) -> w.rank).thenComparingLong(w -> w.seq));
    private final long originNanos = System.nanoTime();
    private final String workerId = UUID.randomUUID().toString().substring(0, 8);
    /** Accounts where this worker has an entry among the fleet's waiting jobs, with when it was last renewed. */
    private final Map<String, Long> publishedWaiting = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private final AtomicLong handedOver = new AtomicLong();
    /** Accounts seen without a free concurrency permit, until a release of theirs is announced. */
    private final Set<String> concurrencyFull = ConcurrentHashMap.newKeySet();
    /** Accounts seen without window room (or failing), with the nanoTime until which they are not asked again. */
    private final Map<String, Long> windowFullUntil = new ConcurrentHashMap<>();
    /** The nanoTime since which every call to the store failed; 0 while it answers. */
    private final AtomicLong storeFailingSince = new AtomicLong();
    private volatile String lastStoreError = "";
    private long forgetFullAt = System.nanoTime();
    private final Thread granter;
    private final ScheduledExecutorService syncer;
    private volatile boolean running = true;
    private boolean signalled;

    public CapacityGate(RedissonClient redis, DispatchSettings dispatch, CapacitySettings settings, Clock clock) {
        this(redis, dispatch, settings, clock, null);
    }

    public CapacityGate(RedissonClient redis, DispatchSettings dispatch, CapacitySettings settings, Clock clock,
            Cooldowns cooldowns) {
        this(new RedisCapacityStore(redis, settings.keyPrefix()), dispatch, settings, clock, cooldowns);
    }

    /**
     * @param cooldowns fleet-wide blocks: a blocked account gets no job; a waiter whose every account is blocked
     *                  for more than a brief rest is let go ({@link NoUsableAccountException}); null for none
     */
    public CapacityGate(CapacityStore store, DispatchSettings dispatch, CapacitySettings settings, Clock clock,
            Cooldowns cooldowns) {
        this.cooldowns = cooldowns;
        this.settings = settings;
        this.clock = clock;
        this.providers = dispatch.providers();
        dispatch.providers().forEach((name, provider) -> {
            roundRobin.put(name, new AtomicLong());
            for (AccountSettings account : provider.accounts()) {
                if (account.enabled()) {
                    accounts.put(account.id(),
                            new AccountCapacity(store, settings, account, provider.timeout(), workerId));
                }
            }
        });
        this.releaseListener = store.onRelease(this::released);
        this.granter = Thread.ofPlatform().name("capacity-granter").daemon().start(this::grantLoop);
        this.syncer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("capacity-sync").daemon()
                .factory());
        long every = settings.syncInterval().toMillis();
        syncer.scheduleWithFixedDelay(this::syncAll, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Waits for room on one of {@code slots} (tried in order, each provider's accounts in its balance order).
     *
     * @param deadline give up at this instant (null: wait as long as it takes)
     * @param tokens   estimated tokens, for accounts with a token quota
     * @return the lease, or null when the deadline passed first
     * @throws NoUsableAccountException     every account of the slots is blocked for more than a brief rest
     * @throws WaitCancelledException       {@link #cancelWaits} stopped the wait
     * @throws CapacityUnavailableException the store (Redis) failed for the whole of the outage wait
     */
    public Lease acquire(List<Slot> slots, Priority priority, Instant deadline, long tokens) throws InterruptedException {
        if (slots.isEmpty()) {
            throw new IllegalArgumentException("no slots to acquire");
        }
        Waiter waiter = new Waiter(List.copyOf(slots), priority, seq.incrementAndGet(), deadline, tokens, originNanos,
                settings.priorityAging().toNanos());
        lock.lock();
        try {
            waiters.add(waiter);
            signalLocked();
        } finally {
            lock.unlock();
        }
        try {
            if (deadline == null) {
                return waiter.future.get();
            }
            long millis = deadline.toEpochMilli() - clock.millis();
            return waiter.future.get(Math.max(0, millis), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return abandon(waiter);
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
     * Takes room on exactly this slot's account if there is some now, without waiting and ahead of any waiting job
     * (a health probe's one request); null when there is none.
     */
    public Lease tryAcquireNow(Slot slot, long tokens) {
        AccountCapacity capacity = accounts.get(slot.accountId());
        if (capacity == null) {
            return null;
        }
        AccountCapacity.Grant grant = stored(() -> capacity.tryAcquire(tokens, null));
        return grant.granted() ? new Lease(slot, grant, this, 0, capacity.windowed()) : null;
    }

    /**
     * Stops the capacity waits of these threads: their {@link #acquire} throws {@link WaitCancelledException}.
     * A worker losing a partition uses it so that jobs not yet at a provider go back to Kafka at once.
     */
    public void cancelWaits(Collection<Thread> threads) {
        lock.lock();
        try {
            for (Waiter w : List.copyOf(waiters)) {
                if (threads.contains(w.thread) && w.future.cancel(false)) {
                    waiters.remove(w);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether this thread is waiting in {@link #acquire} now. */
    public boolean isWaiting(Thread thread) {
        lock.lock();
        try {
            return waiters.stream().anyMatch(w -> w.thread == thread && !w.future.isDone());
        } finally {
            lock.unlock();
        }
    }

    /** Every account the waiter could use is blocked for more than a brief rest (open circuit, refused key). */
    public static final class NoUsableAccountException extends RuntimeException {
        public NoUsableAccountException() {
            super("every account of the job is blocked", null, false, false);
        }
    }

    /** A capacity wait was cancelled by {@link #cancelWaits}: the job did not run and is not finished. */
    public static final class WaitCancelledException extends RuntimeException {
        public WaitCancelledException() {
            super("capacity wait cancelled", null, false, false);
        }
    }

    /** The capacity store (Redis) failed every call for as long as the job waited. */
    public static final class CapacityUnavailableException extends RuntimeException {
        CapacityUnavailableException(long waitedMillis, String lastError) {
            super("the limit store (Redis) failed every call for " + waitedMillis + " ms while the job waited for "
                    + "capacity; last error: " + lastError, null, false, false);
        }
    }

    /** Stops waiting; a lease granted in the meantime is handed back to the caller. */
    private Lease abandon(Waiter waiter) {
        if (waiter.future.cancel(false)) {
            remove(waiter);
            return null;
        }
        try {
            return waiter.future.join();
        } catch (RuntimeException e) {
            return null; // it ended otherwise meanwhile (outage, blocked accounts): nothing was taken
        }
    }

    /** Ends a lease: hands its permit to a waiting job, gives it back, or keeps it counting until its lease ends. */
    void release(Lease lease, boolean keepPermit, boolean unsent) {
        String accountId = lease.slot().accountId();
        if (!keepPermit && !unsent && handOver(lease)) {
            return;
        }
        AccountCapacity.Grant grant = lease.grant();
        try {
            stored(() -> {
                accounts.get(accountId).release(grant.permitId(), grant.requestId(), grant.tokenEntry(), keepPermit,
                        unsent, lease.sent());
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("account {}: could not give back room in Redis ({}); the permit comes back when its lease ends",
                    accountId, e.toString());
        } finally {
            if (!keepPermit) {
                released(accountId);
            }
        }
    }

    /**
     * Gives the concurrency permit of a finished call straight to the waiter the granter would serve next on
     * that account, in one store call that also takes its window places and renews the lease: the best waiter
     * (priority, then arrival) that has the account among its slots, provided every slot it prefers to this one is
     * known to be full. Otherwise, or when the account's window has no room, the permit is released as usual.
     *
     * @return true when the permit went to a waiter
     */
    private boolean handOver(Lease finished) {
        String accountId = finished.slot().accountId();
        AccountCapacity capacity = accounts.get(accountId);
        long nowNanos = System.nanoTime();
        long safe = TimeUnit.MILLISECONDS.toNanos(capacity.leaseMillis()) - settings.leaseMargin().toNanos() / 2;
        if (!running || nowNanos - finished.askedNanos() > safe || windowFullOrBlocked(accountId, nowNanos)) {
            return false; // too little lease left to renew safely, or no room to hand on
        }
        long now = clock.millis();
        Waiter chosen = null;
        int slotIndex = -1;
        lock.lock();
        try {
            for (Waiter w : waiters) {
                int i = w.indexOf(accountId);
                if (i >= 0 && !w.future.isDone() && (w.deadline == null || w.deadline.toEpochMilli() > now)
                        && (chosen == null || w.before(chosen))) {
                    chosen = w;
                    slotIndex = i;
                }
            }
            if (chosen == null) {
                return false;
            }
            for (int i = 0; i < slotIndex; i++) {
                if (!knownFull(chosen.slots.get(i).accountId(), nowNanos)) {
                    return false; // it may get a slot it prefers: the granter decides
                }
            }
        } finally {
            lock.unlock();
        }
        if (!chosen.claimed.compareAndSet(false, true)) {
            return false; // the granter is serving it right now
        }
        Waiter waiter = chosen;
        AccountCapacity.Grant grant;
        try {
            grant = stored(() -> capacity.reuse(finished.permitId(), waiter.tokens, finished.sent(), waiting(waiter)));
            publishedWaiting.put(accountId, System.nanoTime());
        } catch (RuntimeException e) {
            waiter.claimed.set(false);
            storeError(accountId, e);
            return false;
        }
        if (!grant.granted()) {
            refused(accountId, grant);
            waiter.claimed.set(false);
            return false;
        }
        remove(waiter);
        Lease lease = new Lease(waiter.slots.get(slotIndex), grant, this, waitedMillis(waiter), capacity.windowed());
        handedOver.incrementAndGet();
        if (!waiter.future.complete(lease)) {
            lease.unsend(); // it stopped waiting meanwhile: the permit goes on (or back)
        }
        return true;
    }

    /** Known to have no room now: no free permit, a full window or a fleet-wide block. */
    private boolean knownFull(String accountId, long nowNanos) {
        return concurrencyFull.contains(accountId) || windowFullOrBlocked(accountId, nowNanos);
    }

    private boolean windowFullOrBlocked(String accountId, long nowNanos) {
        Long until = windowFullUntil.get(accountId);
        if (until != null && until - nowNanos > 0) {
            return true;
        }
        return cooldowns != null && cooldowns.blocked(accountId).isPresent();
    }

    /** Remembers why an account refused: until a release (concurrency) or until the store's time (windows). */
    private void refused(String accountId, AccountCapacity.Grant grant) {
        if (grant.refusal() == AccountCapacity.Refusal.CONCURRENCY) {
            concurrencyFull.add(accountId);
        } else {
            long wait = grant.retryMillis() > 0 ? TimeUnit.MILLISECONDS.toNanos(grant.retryMillis())
                    : settings.ratePoll().toNanos();
            windowFullUntil.put(accountId, System.nanoTime() + wait);
        }
    }

    /** Runs a store call, keeping track of whether the store answers at all. */
    private <T> T stored(Supplier<T> call) {
        T result = call.get();
        storeFailingSince.set(0);
        return result;
    }

    private void storeError(String accountId, RuntimeException e) {
        long now = System.nanoTime();
        if (storeFailingSince.compareAndSet(0, now)) {
            log.warn("capacity store (Redis) failed for account {}: {}; jobs keep waiting", accountId, e.toString());
        }
        lastStoreError = e.toString();
        windowFullUntil.put(accountId, now + settings.ratePoll().toNanos() * 4);
    }

    /** Concurrency permits handed from a finished call straight to a waiting job of this worker. */
    public long handedOver() {
        return handedOver.get();
    }

    private void released(String accountId) {
        concurrencyFull.remove(accountId);
        signal();
    }

    /** The window guard in nanoseconds: the oldest a grant may be when its request is written. */
    long windowGuardNanos() {
        return settings.windowGuard().toNanos();
    }

    /** Fleet-wide requests in flight on an account, from Redis. */
    public int inFlight(String accountId) {
        return (int) accounts.get(accountId).usage().inFlight();
    }

    /** Fleet-wide free concurrency permits of an account, from Redis (Integer.MAX_VALUE without a limit). */
    public int availablePermits(String accountId) {
        AccountCapacity c = accounts.get(accountId);
        return c.concurrencyLimit() == Integer.MAX_VALUE ? Integer.MAX_VALUE
                : (int) Math.max(0, c.concurrencyLimit() - c.usage().inFlight());
    }

    /** Request permits left in the account's current window, from Redis (Long.MAX_VALUE without a limit). */
    public long requestPermitsLeft(String accountId) {
        AccountCapacity c = accounts.get(accountId);
        return c.requestLimit() == null ? Long.MAX_VALUE : Math.max(0, c.requestLimit() - c.usage().requestsInWindow());
    }

    /** Tokens left in the account's token window, from Redis (Long.MAX_VALUE without a token quota). */
    public long tokenPermitsLeft(String accountId) {
        AccountCapacity c = accounts.get(accountId);
        return c.tokenQuota() == null ? Long.MAX_VALUE : Math.max(0, c.tokenQuota() - c.usage().tokensInWindow());
    }

    /** The account's token quota per window, or null without one. */
    public Long tokenQuota(String accountId) {
        return accounts.get(accountId).tokenQuota();
    }

    /**
     * How long the account's limit state still rebuilds after it vanished from Redis (0: it is whole), from Redis.
     */
    public long rebuildingMillis(String accountId) {
        return accounts.get(accountId).usage().rebuildingMillis();
    }

    /** The enabled accounts this gate hands out room on. */
    public Set<String> accountIds() {
        return Set.copyOf(accounts.keySet());
    }

    /** Jobs of this worker waiting for room. */
    public int waiting() {
        lock.lock();
        try {
            return waiters.size();
        } finally {
            lock.unlock();
        }
    }

    private void signal() {
        lock.lock();
        try {
            signalLocked();
        } finally {
            lock.unlock();
        }
    }

    private void signalLocked() {
        signalled = true;
        wake.signal();
    }

    private void syncAll() {
        syncWaiting(true);
        for (AccountCapacity capacity : accounts.values()) {
            try {
                capacity.sync();
            } catch (RuntimeException e) {
                log.debug("account {}: state check failed: {}", capacity.accountId, e.toString());
            }
        }
    }

    private void grantLoop() {
        while (running) {
            try {
                long wait = grantRound();
                lock.lock();
                try {
                    if (!signalled && running && wait > 0) {
                        wake.awaitNanos(wait);
                    }
                    signalled = false;
                } finally {
                    lock.unlock();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("capacity round failed: {}", e.toString());
                try {
                    Thread.sleep(settings.ratePoll().toMillis() * 4);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** One pass over the waiters, best first; returns how long to wait before the next (nanoseconds). */
    private long grantRound() {
        List<Waiter> snapshot;
        lock.lock();
        try {
            snapshot = new ArrayList<>(waiters);
        } finally {
            lock.unlock();
        }
        snapshot.sort(waiters.comparator());
        Set<String> full = new HashSet<>();
        long nowNanos = System.nanoTime();
        if (nowNanos - forgetFullAt > IDLE_WAIT_NANOS) {
            concurrencyFull.clear(); // a crashed worker's expired lease announces nothing
            forgetFullAt = nowNanos;
        }
        full.addAll(concurrencyFull);
        windowFullUntil.forEach((account, until) -> {
            if (until - nowNanos > 0) {
                full.add(account);
            }
        });
        boolean briefRest = false;
        Set<String> longBlocked = new HashSet<>();
        if (cooldowns != null) {
            for (var e : cooldowns.all().entrySet()) {
                full.add(e.getKey());
                if (e.getValue().reason().brief()) {
                    briefRest = true; // a rest that ends by time: look again soon
                } else {
                    longBlocked.add(e.getKey());
                }
            }
        }
        long failingSince = storeFailingSince.get();
        long outage = settings.redisOutageWait().toNanos();
        long nanosToDeadline = Long.MAX_VALUE;
        long now = clock.millis();
        for (Waiter waiter : snapshot) {
            if (waiter.future.isDone()) {
                remove(waiter);
                continue;
            }
            if (waiter.deadline != null) {
                long left = waiter.deadline.toEpochMilli() - now;
                if (left <= 0) {
                    continue; // its own thread times out and leaves
                }
                nanosToDeadline = Math.min(nanosToDeadline, TimeUnit.MILLISECONDS.toNanos(left));
            }
            if (!longBlocked.isEmpty() && waiter.slots.stream().allMatch(sl -> longBlocked.contains(sl.accountId()))) {
                remove(waiter);
                waiter.future.completeExceptionally(new NoUsableAccountException());
                continue;
            }
            if (failingSince != 0 && nowNanos - failingSince > outage && nowNanos - waiter.enqueuedNanos > outage) {
                remove(waiter);
                waiter.future.completeExceptionally(new CapacityUnavailableException(waitedMillis(waiter),
                        lastStoreError));
                continue;
            }
            if (full.size() < accounts.size()) {
                serve(waiter, full);
            }
        }
        if (!publishedWaiting.isEmpty()) {
            syncWaiting(false);
        }
        long wait = IDLE_WAIT_NANOS;
        long after = System.nanoTime();
        for (long until : windowFullUntil.values()) {
            if (until - after > 0) {
                wait = Math.min(wait, until - after);
            }
        }
        if (briefRest) {
            wait = Math.min(wait, settings.ratePoll().toNanos());
        }
        return Math.min(wait, nanosToDeadline);
    }

    /** Tries the waiter's slots that are not known full, best first; an account found full joins {@code full}. */
    private void serve(Waiter waiter, Set<String> full) {
        if (!waiter.claimed.compareAndSet(false, true)) {
            return; // a finished call is handing it a permit right now
        }
        boolean granted = false;
        try {
            for (Slot slot : balanced(waiter.slots)) {
                String accountId = slot.accountId();
                if (full.contains(accountId)) {
                    continue;
                }
                AccountCapacity capacity = accounts.get(accountId);
                AccountCapacity.Grant grant;
                try {
                    grant = stored(() -> capacity.tryAcquire(waiter.tokens, waiting(waiter)));
                    publishedWaiting.put(accountId, System.nanoTime());
                } catch (RuntimeException e) {
                    storeError(accountId, e);
                    full.add(accountId);
                    continue;
                }
                if (grant.granted()) {
                    Lease lease = new Lease(slot, grant, this, waitedMillis(waiter), capacity.windowed());
                    remove(waiter);
                    granted = true;
                    if (!waiter.future.complete(lease)) {
                        lease.unsend();
                    }
                    return;
                }
                full.add(accountId);
                refused(accountId, grant);
            }
        } finally {
            if (!granted) {
                waiter.claimed.set(false);
            }
        }
    }

    /**
     * The waiter as the fleet's other workers see it: its rank is the store's now plus its urgency, one aging step
     * per priority level below HIGH less what it has waited, so ranks compare across workers without their clocks.
     */
    private CapacityStore.Waiting waiting(Waiter waiter) {
        long aging = settings.priorityAging().toMillis();
        long step = aging > 0 ? aging : 1L << 40;
        long tolerance = aging > 0 ? Math.min(1_000, aging / 2) : 1_000;
        return new CapacityStore.Waiting(workerId, waiter.priority.ordinal() * step - waitedMillis(waiter),
                WAITING_TTL_MILLIS, tolerance);
    }

    /**
     * Keeps this worker's entries among the fleet's waiting jobs true: renews the entry of each account its jobs wait
     * for (its most urgent one) every third of the entry's life, and withdraws those it no longer waits for.
     */
    private void syncWaiting(boolean renew) {
        Map<String, Waiter> best = new HashMap<>();
        lock.lock();
        try {
            for (Waiter w : waiters) {
                if (!w.future.isDone()) {
                    for (Slot slot : w.slots) {
                        best.merge(slot.accountId(), w, (a, b) -> a.before(b) ? a : b);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        long now = System.nanoTime();
        for (Map.Entry<String, Long> e : publishedWaiting.entrySet()) {
            String accountId = e.getKey();
            Waiter w = best.get(accountId);
            try {
                if (w == null) {
                    accounts.get(accountId).publishWaiting(null);
                    publishedWaiting.remove(accountId, e.getValue());
                } else if (renew && now - e.getValue() > TimeUnit.MILLISECONDS.toNanos(WAITING_TTL_MILLIS / 3)) {
                    accounts.get(accountId).publishWaiting(waiting(w));
                    publishedWaiting.put(accountId, now);
                }
            } catch (RuntimeException ex) {
                log.debug("account {}: waiting entry not updated: {}", accountId, ex.toString());
            }
        }
    }

    private static long waitedMillis(Waiter waiter) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waiter.enqueuedNanos);
    }

    private void remove(Waiter waiter) {
        lock.lock();
        try {
            waiters.remove(waiter);
        } finally {
            lock.unlock();
        }
    }

    /** The slots with each provider's accounts in the order its balance strategy wants now. */
    List<Slot> balanced(List<Slot> slots) {
        List<Slot> out = new ArrayList<>(slots.size());
        int i = 0;
        while (i < slots.size()) {
            int j = i;
            String provider = slots.get(i).provider();
            while (j < slots.size() && slots.get(j).provider().equals(provider)) {
                j++;
            }
            List<Slot> pool = new ArrayList<>(slots.subList(i, j));
            if (pool.size() > 1) {
                order(provider, pool);
            }
            out.addAll(pool);
            i = j;
        }
        return out;
    }

    private void order(String provider, List<Slot> pool) {
        switch (providers.get(provider).balance()) {
            case ORDERED -> { }
            case ROUND_ROBIN -> Collections.rotate(pool, -(int) (roundRobin.get(provider).getAndIncrement() % pool.size()));
            case WEIGHTED -> {
                // weighted random order (Efraimidis-Spirakis): key u^(1/w), largest first
                Map<Slot, Double> keys = new HashMap<>();
                for (Slot s : pool) {
                    keys.put(s, Math.pow(ThreadLocalRandom.current().nextDouble(), 1.0 / s.account().weight()));
                }
                pool.sort(Comparator.comparingDouble((Slot s) -> keys.get(s)).reversed());
            }
            case LEAST_INFLIGHT -> {
                Map<Slot, Double> load = new HashMap<>();
                for (Slot s : pool) {
                    AccountCapacity c = accounts.get(s.accountId());
                    load.put(s, stored(() -> c.usage()).inFlight() / (double) c.concurrencyLimit());
                }
                pool.sort(Comparator.comparingDouble(load::get));
            }
        }
    }

    @Override
    public void close() {
        running = false;
        granter.interrupt();
        syncer.shutdownNow();
        try {
            releaseListener.close();
        } catch (Exception e) {
            log.debug("removing the release listener: {}", e.toString());
        }
        lock.lock();
        try {
            waiters.forEach(w -> w.future.cancel(false));
            waiters.clear();
        } finally {
            lock.unlock();
        }
    }
}
