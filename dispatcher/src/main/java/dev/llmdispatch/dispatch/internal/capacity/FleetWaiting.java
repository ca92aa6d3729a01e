package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.dispatch.spi.CapacityStore;
import dev.llmdispatch.time.Ticker;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This worker's entries among the fleet's waiting jobs: per account, the rank of its most urgent job waiting for it,
 * which the store compares against the other workers' before it grants scarce capacity (fleet-wide priority). A job's
 * rank is the store's now plus its urgency: one aging step per priority level below HIGH, less what it has waited,
 * so ranks compare across workers without their clocks.
 */
final class FleetWaiting {

    private static final Logger log = LoggerFactory.getLogger(FleetWaiting.class);
    /** How long an entry holds without being renewed (a dead worker's entries go after this). */
    static final long TTL_MILLIS = 2_000;

    private final String workerId;
    private final long stepMillis;
    private final long toleranceMillis;
    private final Ticker ticker;
    /** Accounts where this worker has an entry, with when it was last renewed. */
    private final Map<String, Long> published = new ConcurrentHashMap<>();

    /** @param agingMillis how long a job waits to rise one priority level (0: never) */
    FleetWaiting(String workerId, long agingMillis, Ticker ticker) {
        this.workerId = workerId;
        this.stepMillis = agingMillis > 0 ? agingMillis : 1L << 40;
        this.toleranceMillis = agingMillis > 0 ? Math.min(1_000, agingMillis / 2) : 1_000;
        this.ticker = ticker;
    }

    /** The waiter as the other workers see it, renewed (no grant follows). */
    CapacityStore.Waiting of(Waiter waiter) {
        return asking(waiter, waiter);
    }

    /**
     * An ask for {@code waiter}: its entry, and what the entry becomes if it is granted ({@code next}, this worker's
     * next job waiting for the account, or none).
     */
    CapacityStore.Waiting asking(Waiter waiter, Waiter next) {
        return new CapacityStore.Waiting(
                workerId,
                urgency(waiter),
                TTL_MILLIS,
                toleranceMillis,
                next == null ? null : urgency(next),
                waiter.tokens,
                next == null ? 0 : next.tokens);
    }

    private long urgency(Waiter waiter) {
        // from its fair start: a job behind many of its tenant's own is as urgent as one that came that much later
        long waited = TimeUnit.NANOSECONDS.toMillis(ticker.nanos() - waiter.fairStartNanos);
        return waiter.priority.ordinal() * stepMillis - waited;
    }

    /** An ask for the account left this worker's entry there (refused, or granted with another job waiting). */
    void asked(String accountId) {
        published.put(accountId, ticker.nanos());
    }

    /**
     * What an ask left of this worker's entry: {@link #asked} unless it was granted with no job left waiting. A job that
     * came to wait for the account while the ask was made ({@code waitsNow}) keeps the account among those renewed, so
     * its entry is written again at the next renewal.
     */
    void answered(String accountId, CapacityStore.Waiting waiting, boolean granted, boolean waitsNow) {
        if (granted && waiting.nextUrgencyMillis() == null && !waitsNow) {
            published.remove(accountId); // the grant took the entry away
        } else {
            asked(accountId);
        }
    }

    boolean any() {
        return !published.isEmpty();
    }

    /**
     * Withdraws the entries of accounts no job of this worker waits for any more and, with {@code renew}, renews
     * the others (with the job now most urgent) every third of their life. One caller at a time: the granter and
     * the sync thread both call it, and a renewal must not follow a withdrawal it did not see.
     */
    synchronized void sync(
            Supplier<Map<String, Waiter>> waiting, Function<String, AccountCapacity> accounts, boolean renew) {
        Map<String, Waiter> mostUrgent = waiting.get(); // read inside: a job granted since is not renewed
        long now = ticker.nanos();
        for (Map.Entry<String, Long> e : published.entrySet()) {
            String accountId = e.getKey();
            Waiter waiter = mostUrgent.get(accountId);
            try {
                if (waiter == null) {
                    accounts.apply(accountId).publishWaiting(null);
                    published.remove(accountId, e.getValue());
                } else if (renew && now - e.getValue() > TimeUnit.MILLISECONDS.toNanos(TTL_MILLIS / 3)) {
                    accounts.apply(accountId).publishWaiting(of(waiter));
                    published.put(accountId, now);
                }
            } catch (RuntimeException ex) {
                log.debug("account {}: waiting entry not updated: {}", accountId, ex.toString());
            }
        }
    }
}
