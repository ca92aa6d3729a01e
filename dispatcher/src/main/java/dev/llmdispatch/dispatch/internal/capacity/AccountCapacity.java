package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import dev.llmdispatch.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One account's fleet-wide limits as this worker sees them: its keys and declared limits in the
 * {@link CapacityStore}, the state epoch it knows, and the permits it holds (so that it can put them back should
 * the state vanish from Redis).
 */
final class AccountCapacity {

    private static final Logger log = LoggerFactory.getLogger(AccountCapacity.class);
    /** The longest a refused account is left alone on the store's word, so that a changed limit is seen soon. */
    private static final long MAX_RETRY_MILLIS = 1_000;

    /** Why an account had no capacity. */
    enum Refusal {
        CONCURRENCY,
        REQUESTS,
        TOKENS,
        REBUILDING,
        PRIORITY
    }

    /**
     * Room for one request, or the refusal.
     *
     * @param askedNanos  when it was asked for (the gate's ticker), before the store decided: the grant is
     *                    at most this old
     * @param tokenEntry  its entry in the token window, or null
     * @param retryMillis for a refusal: how long until capacity may appear, on the store's word (0: unknown)
     * @param windowed    whether the request sits in a request window of the limits in force (any live worker's):
     *                    its age then matters when it is written, and its place moves to when it was
     */
    record Grant(
            String permitId,
            String requestId,
            String tokenEntry,
            long askedNanos,
            Refusal refusal,
            long retryMillis,
            boolean windowed,
            long serverMillis) {
        boolean granted() {
            return refusal == null;
        }

        /**
         * Whether the request holds a place that counts in time: in a request window, or in the token window. Its age
         * then matters when it is written, and the place moves to when it was.
         */
        boolean placed() {
            return windowed || tokenEntry != null;
        }
    }

    final String accountId;
    private final Limits limits;
    /** The gate's ticker: when capacity was asked for (a grant's age is measured on it). */
    private final Ticker ticker;

    private final CapacityStore store;
    private final AccountKeys keys;
    /** What this worker declares: worked out again with each declaration (a daily quota's start moves with DST). */
    private volatile AccountKeys.Declaration declaration;

    private final Clock clock;
    private final long leaseMillis;
    private final CapacitySettings settings;
    private final String workerId;
    private final AtomicLong ids = new AtomicLong();
    private volatile String epoch = "";
    /** Permits this worker holds: id to the end of its lease ({@link Ticker}). */
    private final Map<String, Long> held = new ConcurrentHashMap<>();

    /** The fleet's adaptive concurrency limit as this worker last learned it (the ceiling while not cut). */
    private volatile int adaptiveLimit;
    /** Successes below the ceiling not yet reported to the store (reported a round at a time). */
    private final AtomicInteger healthyUnreported = new AtomicInteger();
    /** The limit {@link #healthyUnreported} counts at. */
    private volatile int countingAt = -1;
    /** Latency of healthy calls: a fast and a slow moving average, the first rising well above the second = overload. */
    private double recentMillis;

    private double usualMillis;
    private long healthyCalls;

    private long declaredAtNanos;
    private long idleTicks;

    AccountCapacity(
            CapacityStore store,
            CapacitySettings settings,
            AccountSettings account,
            Duration callTimeout,
            String workerId,
            Ticker ticker,
            Clock clock) {
        this.ticker = ticker;
        this.clock = clock;
        this.accountId = account.id();
        this.limits = account.limits();
        this.store = store;
        this.settings = settings;
        this.workerId = workerId;
        this.keys = AccountKeys.of(settings.keyPrefix(), account.id());
        this.declaration = AccountKeys.Declaration.of(limits, settings.windowGuard(), clock.instant());
        this.leaseMillis = callTimeout.plus(settings.leaseMargin()).toMillis();
        this.adaptiveLimit = limits.hasConcurrencyLimit() ? limits.concurrency() : -1;
    }

    /** The limits this worker declares for the account now. */
    AccountKeys.Declaration declaration() {
        return declaration;
    }

    /** A cut takes the limit to 75% of itself (at least 1). */
    static final int CUT_PERMILLE = 750;
    /** Latency counts as rising when its recent average is this many times its usual one... */
    static final double RISING = 2.0;
    /**
     * ...and at least this much longer: a call answered in 6 ms where 2 ms was usual is the client's own noise, not a
     * provider queueing calls (without this floor, a provider that answers at once had its limit cut, and each healthy
     * call after that cost a Redis round trip to climb back).
     */
    static final double RISING_BY_MILLIS = 100;

    /** Latency of successful calls of one kind: a fast and a slow moving average, and how many there were. */
    private static final class Latency {
        double recent;
        double usual;
        long calls;
    }

    private final Map<String, Latency> latencies = new ConcurrentHashMap<>();

    /**
     * A call on this account ended: {@code overloaded} for a 429 or a timeout, else a success (other failures say
     * nothing of load and are not reported). A success's latency joins the averages of its kind ({@code kind}: chat and
     * embeddings take different times), and counts as overload when the recent average (a tenth each call, so one slow
     * answer does not make it) has risen to {@link #RISING} times the usual one, and by {@link #RISING_BY_MILLIS} at
     * least, over at least 50 calls. Moves the
     * fleet's adaptive limit: a signal from a call granted before the last cut is not counted again (one cut per round
     * of calls); no store call for a success while the limit is at its ceiling, and below it one a round of calls (the
     * limit's worth of successes, reported together).
     */
    void callEnded(Grant grant, boolean overloaded, long millis, String kind) {
        if (!limits.adaptiveConcurrency()) {
            return;
        }
        boolean cut = overloaded;
        if (!overloaded) {
            Latency l = latencies.computeIfAbsent(kind, k -> new Latency());
            synchronized (l) {
                l.calls++;
                l.recent = l.calls == 1 ? millis : l.recent + 0.1 * (millis - l.recent);
                l.usual = l.calls == 1 ? millis : l.usual + 0.01 * (millis - l.usual);
                cut = l.calls >= 50 && l.recent > RISING * l.usual && l.recent - l.usual >= RISING_BY_MILLIS;
            }
        }
        if (cut) {
            healthyUnreported.set(0);
            adaptiveLimit = (int) store.adapt(keys, true, 0, limits.concurrency(), grant.serverMillis(), CUT_PERMILLE);
            return;
        }
        int limit = adaptiveLimit;
        if (limit >= limits.concurrency()) {
            return;
        }
        if (countingAt != limit) {
            // the limit moved (a cut anywhere in the fleet, a raise): successes at the old one do not count at this one
            countingAt = limit;
            healthyUnreported.set(0);
        }
        if (healthyUnreported.incrementAndGet() < limit) {
            return;
        }
        int healthy = healthyUnreported.getAndSet(0);
        if (healthy > 0) {
            adaptiveLimit =
                    (int) store.adapt(keys, false, healthy, limits.concurrency(), grant.serverMillis(), CUT_PERMILLE);
        }
    }

    /** The fleet's adaptive concurrency limit as last learned here; -1 without a concurrency limit. */
    int adaptiveLimit() {
        return adaptiveLimit;
    }

    /** Takes capacity for one request without waiting: a new in-flight permit and places in the windows. */
    Grant tryAcquire(long estimatedTokens, CapacityStore.Waiting waiting) {
        return ask(workerId + "-p" + ids.incrementAndGet(), false, estimatedTokens, null, waiting);
    }

    /**
     * Takes capacity for one more request on an in-flight permit already held (handed from a finished call to a
     * waiting job): places in the windows and a fresh lease, in one step. A permit the store no longer has (lost
     * with the state) is refused as {@link Refusal#CONCURRENCY}: it must not be used.
     *
     * @param sent the request that ended on the permit, if it was written (its window place moves to then)
     */
    Grant reuse(String permit, long estimatedTokens, CapacityStore.Sent sent, CapacityStore.Waiting waiting) {
        return ask(permit, true, estimatedTokens, sent, waiting);
    }

    /** Publishes this worker's most urgent job waiting for the account, or withdraws it (null). */
    void publishWaiting(CapacityStore.Waiting waiting) {
        store.publishWaiting(keys, workerId, waiting);
    }

    private Grant ask(
            String permitId,
            boolean renew,
            long estimatedTokens,
            CapacityStore.Sent sent,
            CapacityStore.Waiting waiting) {
        String requestId = workerId + "-r" + ids.incrementAndGet();
        // the raw estimate: the store clamps it to the strictest quota in force (another worker's, maybe)
        long tokens = Math.max(0, estimatedTokens);
        long asked = ticker.nanos();
        CapacityStore.Decision d = store.acquire(
                keys,
                declaration,
                new CapacityStore.Ask(
                        permitId,
                        renew,
                        leaseMillis,
                        requestId,
                        tokens,
                        epoch,
                        newEpoch(),
                        settings.quietOnNewState(),
                        settings.restoreWindow().toMillis(),
                        sent,
                        waiting));
        if (d.reason() == CapacityStore.Reason.EPOCH) {
            log.warn(
                    "account {}: its limit state vanished from Redis and was remade; putting back this worker's {} "
                            + "permits, no request is granted until the state has rebuilt",
                    accountId,
                    held.size());
            restore(); // puts back what this worker holds under the new epoch
            return refused(Refusal.REBUILDING, 1);
        }
        epoch = d.epoch();
        return switch (d.reason()) {
            case GRANTED -> {
                held.put(permitId, asked + TimeUnit.MILLISECONDS.toNanos(leaseMillis));
                if (limits.hasConcurrencyLimit()) {
                    adaptiveLimit = d.adaptiveLimit() >= 0 ? (int) d.adaptiveLimit() : limits.concurrency();
                }
                yield new Grant(
                        permitId,
                        requestId,
                        d.tokens() > 0 ? requestId + ":" + d.tokens() : null,
                        asked,
                        null,
                        0,
                        d.windowed(),
                        d.serverMillis());
            }
            case CONCURRENCY -> refused(Refusal.CONCURRENCY, 0);
            case LOST_PERMIT -> {
                held.remove(permitId);
                yield refused(Refusal.CONCURRENCY, 0);
            }
            case REQUESTS -> refused(Refusal.REQUESTS, d.retryMillis());
            case PRIORITY -> refused(Refusal.PRIORITY, 0);
            case TOKENS -> refused(Refusal.TOKENS, d.retryMillis());
            case REBUILDING -> refused(Refusal.REBUILDING, d.retryMillis());
            case EPOCH -> throw new IllegalStateException("unreachable");
        };
    }

    private static Grant refused(Refusal refusal, long retryMillis) {
        return new Grant(null, null, null, 0, refusal, Math.min(retryMillis, MAX_RETRY_MILLIS), false, 0);
    }

    /**
     * Charges a request's token quota with the tokens the provider says it used, instead of the estimate.
     *
     * @return its entry in the token window now, or null when it has none
     */
    String charge(Grant grant, long usedTokens) {
        if (grant.tokenEntry() == null) {
            return null; // no quota in force
        }
        String used = grant.requestId() + ":" + Math.max(0, usedTokens);
        store.charge(keys, grant.tokenEntry(), used);
        return used;
    }

    /** Moves a sent request's window place to when it left (later only), keeping everything else. */
    boolean movePlace(Grant grant, CapacityStore.Sent sent) {
        if (sent == null || !grant.placed()) {
            return false;
        }
        store.release(keys, declaration, null, null, null, sent);
        return true;
    }

    /**
     * Gives back a request's capacity: its permit (unless {@code keepPermit}: a call that may still run at the provider
     * keeps counting until its lease ends) and, for a request never sent, its places in the windows; a request that
     * was sent has its window place moved to when it was written.
     */
    void release(Grant grant, boolean keepPermit, boolean unsent, CapacityStore.Sent sent) {
        if (!keepPermit) {
            held.remove(grant.permitId());
        }
        store.release(
                keys,
                declaration,
                keepPermit ? null : grant.permitId(),
                unsent ? grant.requestId() : null,
                unsent ? grant.tokenEntry() : null,
                unsent || !grant.placed() ? null : sent);
    }

    /**
     * Keeps this worker's declared limits in force (every third of their ttl), and checks that the state this worker
     * knows is still in Redis and, if it vanished, puts back the permits this worker holds.
     */
    void sync() {
        long now = ticker.nanos();
        if (declaredAtNanos == 0
                || now - declaredAtNanos > TimeUnit.MILLISECONDS.toNanos(declaration.ttlMillis() / 3)) {
            if (limits.tokensReset() != null) {
                // a daily quota's start in UTC moves when its zone changes to or from daylight saving time
                declaration = AccountKeys.Declaration.of(limits, settings.windowGuard(), clock.instant());
            }
            store.declare(keys, declaration);
            declaredAtNanos = now;
        }
        held.values().removeIf(end -> end - now <= 0);
        // while it holds permits, at every tick (they must be back before grants resume); else every fourth: an
        // idle worker still notices a loss within a second and makes its own request window count in the quiet
        if (!epoch.isEmpty() && (!held.isEmpty() || ++idleTicks % 4 == 0)) {
            restore();
        }
    }

    private void restore() {
        long now = ticker.nanos();
        Map<String, Long> left = new HashMap<>();
        held.forEach((id, end) -> {
            long ms = TimeUnit.NANOSECONDS.toMillis(end - now);
            if (ms > 0) {
                left.put(id, ms);
            }
        });
        String before = epoch;
        String current = store.restore(
                keys,
                declaration,
                before,
                newEpoch(),
                left,
                settings.restoreWindow().toMillis());
        if (!current.equals(before)) {
            // a call that ended while its permit was being put back gave it back before: give it back again
            for (String id : left.keySet()) {
                if (!held.containsKey(id)) {
                    store.release(keys, declaration, id, null, null, null);
                }
            }
            log.warn(
                    "account {}: limit state lost from Redis; put back {} in-flight permits of this worker",
                    accountId,
                    left.size());
        }
        epoch = current;
    }

    private static String newEpoch() {
        return UUID.randomUUID().toString();
    }

    /** How long a concurrency permit is leased for. */
    long leaseMillis() {
        return leaseMillis;
    }

    /** Fleet-wide use now, from the store. */
    CapacityStore.Usage usage() {
        return store.usage(keys, declaration);
    }

    int concurrencyLimit() {
        return limits.hasConcurrencyLimit() ? limits.concurrency() : Integer.MAX_VALUE;
    }

    Long tokenQuota() {
        return limits.tokens();
    }

    Integer requestLimit() {
        return limits.requests();
    }
}
