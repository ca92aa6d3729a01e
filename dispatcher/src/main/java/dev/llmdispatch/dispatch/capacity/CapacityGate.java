package dev.llmdispatch.dispatch.capacity;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.routing.Slot;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import dev.llmdispatch.dispatch.resilience.Cooldowns;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out room on provider accounts, shared by the whole fleet through Redis, to the jobs of this worker
 * in priority order (HIGH, then MEDIUM, then LOW; first come first served within a priority).
 *
 * <p>A job that finds no room waits without polling Redis in a loop: one granter thread per worker retries
 * the waiting jobs when room may have appeared — when a permit is released here, when another worker
 * announces a release (Redis pub/sub), or, for jobs held back only by a request window, every
 * {@link CapacitySettings#ratePoll()}. In a round, an account found full is not asked again for a job of
 * lower priority, so a round costs at most one refused call per account. Between rounds the gate remembers
 * which accounts were full: one without a free concurrency permit until a release of that account is
 * announced (or a second passes: a crashed worker's lease expires silently), one without request room until
 * the next poll. So a release costs the fleet one Redis round trip to hand the room on, not one per account.
 */
public final class CapacityGate implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CapacityGate.class);
    private static final long IDLE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Map<String, AccountCapacity> accounts = new HashMap<>();
    private final Map<String, ProviderSettings> providers;
    private final Map<String, AtomicLong> roundRobin = new HashMap<>();
    private final CapacitySettings settings;
    private final Cooldowns cooldowns;
    private final Clock clock;
    private final RTopic releases;
    private final int listenerId;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>(
            Comparator.comparing((Waiter w) -> w.priority).thenComparingLong(w -> w.seq));
    private final AtomicLong seq = new AtomicLong();
    private final AtomicLong handedOver = new AtomicLong();
    /** Accounts seen without a free concurrency permit, until a release of theirs is announced. */
    private final Set<String> concurrencyFull = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Accounts seen without request (or token) room, with the nanoTime until which they are not asked again. */
    private final Map<String, Long> windowFullUntil = new java.util.concurrent.ConcurrentHashMap<>();
    private long forgetFullAt = System.nanoTime();
    private final Thread granter;
    private volatile boolean running = true;
    private boolean signalled;

    public CapacityGate(RedissonClient redis, DispatchSettings dispatch, CapacitySettings settings, Clock clock) {
        this(redis, dispatch, settings, clock, null);
    }

    /**
     * @param cooldowns fleet-wide blocks: a blocked account gets no job; a waiter whose every account is blocked
     *                  for more than a brief rest is let go ({@link NoUsableAccountException}); null for none
     */
    public CapacityGate(RedissonClient redis, DispatchSettings dispatch, CapacitySettings settings, Clock clock,
            Cooldowns cooldowns) {
        this.cooldowns = cooldowns;
        this.settings = settings;
        this.clock = clock;
        this.providers = dispatch.providers();
        dispatch.providers().forEach((name, provider) -> {
            roundRobin.put(name, new AtomicLong());
            for (AccountSettings account : provider.accounts()) {
                if (account.enabled()) {
                    accounts.put(account.id(), new AccountCapacity(redis, settings, account, provider.timeout()));
                }
            }
        });
        this.releases = redis.getTopic(settings.keyPrefix() + ":released", StringCodec.INSTANCE);
        this.listenerId = releases.addListener(String.class, (channel, accountId) -> released(accountId));
        this.granter = Thread.ofPlatform().name("capacity-granter").daemon().start(this::grantLoop);
    }

    /**
     * Waits for room on one of {@code slots} (tried in order, each provider's accounts in its balance order).
     *
     * @param deadline give up at this instant (null: wait as long as it takes)
     * @param tokens   estimated tokens, for accounts with a token quota
     * @return the lease, or null when the deadline passed first
     */
    public Lease acquire(List<Slot> slots, Priority priority, Instant deadline, long tokens) throws InterruptedException {
        if (slots.isEmpty()) {
            throw new IllegalArgumentException("no slots to acquire");
        }
        Waiter waiter = new Waiter(List.copyOf(slots), priority, seq.incrementAndGet(), deadline, tokens);
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
                lease.close();
            }
            throw e;
        } catch (CancellationException e) {
            throw new WaitCancelledException();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NoUsableAccountException noUsable) {
                throw noUsable;
            }
            throw new IllegalStateException("capacity gate failed: " + e.getMessage(), e);
        }
    }

    /**
     * Stops the capacity waits of these threads: their {@link #acquire} throws {@link WaitCancelledException}.
     * A worker losing a partition uses it so that jobs not yet at a provider go back to Kafka at once.
     */
    public void cancelWaits(java.util.Collection<Thread> threads) {
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

    /** Stops waiting; a lease granted in the meantime is handed back to the caller. */
    private Lease abandon(Waiter waiter) {
        if (waiter.future.cancel(false)) {
            lock.lock();
            try {
                waiters.remove(waiter);
            } finally {
                lock.unlock();
            }
            return null;
        }
        return waiter.future.join();
    }

    void release(Lease lease) {
        Slot slot = lease.slot();
        String permitId = lease.permitId();
        if (permitId != null && handOver(lease)) {
            return;
        }
        AccountCapacity capacity = accounts.get(slot.accountId());
        try {
            capacity.releasePermit(permitId);
        } finally {
            released(slot.accountId());
            if (permitId != null) {
                releases.publishAsync(slot.accountId());
            }
        }
    }

    /**
     * Gives the concurrency permit of a finished call straight to the waiter the granter would serve next on
     * that account, without a round trip through Redis: the best waiter (priority, then arrival) that has the
     * account among its slots, provided every slot it prefers to this one is known to be full. Otherwise, or
     * when the account's window has no room, the permit is released as usual.
     *
     * @return true when the permit went to a waiter
     */
    private boolean handOver(Lease finished) {
        String accountId = finished.slot().accountId();
        AccountCapacity capacity = accounts.get(accountId);
        long held = System.nanoTime() - finished.grantedNanos();
        long safe = TimeUnit.MILLISECONDS.toNanos(capacity.leaseMillis()) - settings.leaseMargin().toNanos() / 2;
        if (!running || held > safe) {
            return false; // too little of the lease left to be sure its renewal lands in time
        }
        long nowNanos = System.nanoTime();
        if (windowFullOrBlocked(accountId, nowNanos)) {
            return false;
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
        AccountCapacity.Grant grant = capacity.reuse(finished.permitId(), chosen.tokens);
        if (!grant.granted()) {
            windowFullUntil.put(accountId, System.nanoTime() + settings.ratePoll().toNanos());
            chosen.claimed.set(false);
            return false;
        }
        remove(chosen);
        Lease lease = new Lease(chosen.slots.get(slotIndex), finished.permitId(), this,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - chosen.enqueuedNanos));
        handedOver.incrementAndGet();
        if (!chosen.future.complete(lease)) {
            lease.close(); // it stopped waiting meanwhile: the permit goes on (or back)
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

    /** Concurrency permits handed from a finished call straight to a waiting job of this worker. */
    public long handedOver() {
        return handedOver.get();
    }

    private void released(String accountId) {
        concurrencyFull.remove(accountId);
        signal();
    }

    /** Fleet-wide requests in flight on an account, from Redis. */
    public int inFlight(String accountId) {
        return accounts.get(accountId).inFlight();
    }

    /** Fleet-wide free concurrency permits of an account, from Redis. */
    public int availablePermits(String accountId) {
        return accounts.get(accountId).availablePermits();
    }

    /** Request permits left in the account's current window, from Redis (Long.MAX_VALUE without a limit). */
    public long requestPermitsLeft(String accountId) {
        return accounts.get(accountId).requestPermitsLeft();
    }

    /** Tokens left in the account's token window, from Redis (Long.MAX_VALUE without a token quota). */
    public long tokenPermitsLeft(String accountId) {
        return accounts.get(accountId).tokenPermitsLeft();
    }

    /** The account's token quota per window, or null without one. */
    public Long tokenQuota(String accountId) {
        return accounts.get(accountId).tokenQuota();
    }

    /** The enabled accounts this gate hands out room on. */
    public java.util.Set<String> accountIds() {
        return java.util.Set.copyOf(accounts.keySet());
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

    private void grantLoop() {
        while (running) {
            try {
                Round round = grantRound();
                lock.lock();
                try {
                    if (!signalled && running) {
                        long wait = waiters.isEmpty() ? IDLE_WAIT_NANOS
                                : round.waitingOnWindows ? settings.ratePoll().toNanos() : IDLE_WAIT_NANOS;
                        wake.awaitNanos(Math.min(wait, round.nanosToDeadline));
                    }
                    signalled = false;
                } finally {
                    lock.unlock();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // Redis unreachable for a moment: keep the waiters, try again shortly
                log.warn("capacity round failed: {}", e.toString());
                try {
                    Thread.sleep(settings.ratePoll().toMillis() * 4);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private record Round(boolean waitingOnWindows, long nanosToDeadline) {}

    /** One pass over the waiters, best first. */
    private Round grantRound() {
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
        boolean waitingOnWindows = windowFullUntil.values().stream().anyMatch(until -> until - nowNanos > 0);
        Set<String> longBlocked = new HashSet<>();
        if (cooldowns != null) {
            for (var e : cooldowns.all().entrySet()) {
                full.add(e.getKey());
                if (e.getValue().reason().brief()) {
                    waitingOnWindows = true; // a rest that ends by time: look again soon
                } else {
                    longBlocked.add(e.getKey());
                }
            }
        }
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
            if (!waiter.claimed.compareAndSet(false, true)) {
                continue; // a finished call is handing it a permit right now
            }
            boolean granted = false;
            for (Slot slot : balanced(waiter.slots)) {
                if (full.contains(slot.accountId())) {
                    continue;
                }
                AccountCapacity.Grant grant = accounts.get(slot.accountId()).tryAcquire(waiter.tokens);
                if (grant.granted()) {
                    Lease lease = new Lease(slot, grant.permitId(), this,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waiter.enqueuedNanos));
                    remove(waiter);
                    if (!waiter.future.complete(lease)) {
                        lease.close();
                    }
                    granted = true;
                    break;
                }
                full.add(slot.accountId());
                if (grant.refusal() == AccountCapacity.Refusal.CONCURRENCY) {
                    concurrencyFull.add(slot.accountId());
                } else {
                    windowFullUntil.put(slot.accountId(), System.nanoTime() + settings.ratePoll().toNanos());
                    waitingOnWindows = true;
                }
            }
            if (!granted) {
                waiter.claimed.set(false);
            }
            if (!granted && full.size() >= accounts.size()) {
                break; // every account is full: nobody below can be served this round
            }
        }
        return new Round(waitingOnWindows, nanosToDeadline);
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
            case ROUND_ROBIN -> java.util.Collections.rotate(pool,
                    -(int) (roundRobin.get(provider).getAndIncrement() % pool.size()));
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
                    load.put(s, c.inFlight() / (double) c.concurrencyLimit());
                }
                pool.sort(Comparator.comparingDouble(load::get));
            }
        }
    }

    @Override
    public void close() {
        running = false;
        granter.interrupt();
        releases.removeListener(listenerId);
        lock.lock();
        try {
            waiters.forEach(w -> w.future.cancel(false));
            waiters.clear();
        } finally {
            lock.unlock();
        }
    }

    private static final class Waiter {
        final List<Slot> slots;
        final Priority priority;
        final long seq;
        final Instant deadline;
        final long tokens;
        final long enqueuedNanos = System.nanoTime();
        final Thread thread = Thread.currentThread();
        final CompletableFuture<Lease> future = new CompletableFuture<>();
        /** Held by whoever is taking room for it (the granter or a hand-over), so that room is taken once. */
        final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();

        Waiter(List<Slot> slots, Priority priority, long seq, Instant deadline, long tokens) {
            this.slots = slots;
            this.priority = priority;
            this.seq = seq;
            this.deadline = deadline;
            this.tokens = tokens;
        }

        int indexOf(String accountId) {
            for (int i = 0; i < slots.size(); i++) {
                if (slots.get(i).accountId().equals(accountId)) {
                    return i;
                }
            }
            return -1;
        }

        /** Served before {@code other}: higher priority, or the same and earlier. */
        boolean before(Waiter other) {
            int c = priority.compareTo(other.priority);
            return c < 0 || (c == 0 && seq < other.seq);
        }
    }
}
