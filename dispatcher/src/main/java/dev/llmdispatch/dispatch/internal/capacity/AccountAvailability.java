package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.time.Ticker;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What this worker last learned of each account's capacity, so that a full account is not asked again in vain: one
 * without a free in-flight permit until a release of it is announced (or a second passes: a crashed worker's
 * lease ends silently), one refused for a window, a rebuild or a more urgent job elsewhere until the time the store
 * gave (or {@code ratePoll}), one whose store call failed for four {@code ratePoll}s; and the fleet-wide blocks.
 */
final class AccountAvailability {

    private static final long FORGET_CONCURRENCY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Set<String> concurrencyFull = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> wakes = new ConcurrentHashMap<>();
    private final Map<String, Long> fullUntil = new ConcurrentHashMap<>();
    private final Cooldowns cooldowns;
    private final Ticker ticker;
    private final long ratePollNanos;
    private long forgotAt;

    AccountAvailability(Cooldowns cooldowns, Ticker ticker, long ratePollNanos) {
        this.cooldowns = cooldowns;
        this.ticker = ticker;
        this.ratePollNanos = ratePollNanos;
        this.forgotAt = ticker.nanos();
    }

    /** How many releases of the account were announced here so far (read before an ask, given to {@link #refused}). */
    long wakes(String accountId) {
        AtomicLong n = wakes.get(accountId);
        return n == null ? 0 : n.get();
    }

    /**
     * The store refused the account: remember until when there is no point asking again. {@code wakesBefore}: what
     * {@link #wakes} said before the ask; a release announced since (it may have come after the refusal was decided)
     * leaves the account to be asked again.
     */
    synchronized void refused(String accountId, AccountCapacity.Grant grant, long wakesBefore) {
        if (grant.refusal() == AccountCapacity.Refusal.CONCURRENCY) {
            if (wakes(accountId) == wakesBefore) {
                concurrencyFull.add(accountId);
            }
        } else {
            long wait = grant.retryMillis() > 0 ? TimeUnit.MILLISECONDS.toNanos(grant.retryMillis()) : ratePollNanos;
            fullUntil.put(accountId, ticker.nanos() + wait);
        }
    }

    /** A call to the store failed for the account: leave it alone a moment. */
    void storeFailed(String accountId) {
        fullUntil.put(accountId, ticker.nanos() + 4 * ratePollNanos);
    }

    /** Some worker gave back an in-flight permit of the account. */
    synchronized void released(String accountId) {
        wakes.computeIfAbsent(accountId, a -> new AtomicLong()).incrementAndGet();
        concurrencyFull.remove(accountId);
    }

    /** Known to have no capacity now: no free permit, a full window or a fleet-wide block. */
    boolean knownFull(String accountId) {
        return concurrencyFull.contains(accountId) || windowFullOrBlocked(accountId);
    }

    /** Known to have a full request window now, or blocked fleet-wide. */
    boolean windowFullOrBlocked(String accountId) {
        Long until = fullUntil.get(accountId);
        if (until != null && until - ticker.nanos() > 0) {
            return true;
        }
        return cooldowns != null && cooldowns.blocked(accountId).isPresent();
    }

    /**
     * The view of a grant round: the accounts not to ask, those blocked for more than a brief cooldown, and whether a
     * brief cooldown (one that ends by time) is under way.
     */
    record View(Set<String> full, Set<String> longBlocked, boolean briefCooldown) {}

    View view() {
        long now = ticker.nanos();
        if (now - forgotAt > FORGET_CONCURRENCY_NANOS) {
            concurrencyFull.clear(); // a crashed worker's expired lease announces nothing
            forgotAt = now;
        }
        Set<String> full = new HashSet<>(concurrencyFull);
        fullUntil.forEach((account, until) -> {
            if (until - now > 0) {
                full.add(account);
            }
        });
        Set<String> longBlocked = new HashSet<>();
        boolean briefCooldown = false;
        if (cooldowns != null) {
            for (var e : cooldowns.all().entrySet()) {
                full.add(e.getKey());
                if (e.getValue().reason().brief()) {
                    briefCooldown = true;
                } else {
                    longBlocked.add(e.getKey());
                }
            }
        }
        return new View(full, longBlocked, briefCooldown);
    }

    /** How long until the earliest account refused for a while may be asked again (at most {@code max}). */
    long nanosUntilNextAsk(long max, boolean briefCooldown) {
        long now = ticker.nanos();
        long wait = max;
        for (long until : fullUntil.values()) {
            if (until - now > 0) {
                wait = Math.min(wait, until - now);
            }
        }
        return briefCooldown ? Math.min(wait, ratePollNanos) : wait;
    }
}
