package dev.llmdispatch.dispatch;

import java.util.Collection;
import java.util.Set;

/**
 * The fleet's capacity as one worker sees it: each account's use against its limits (kept in the shared store, so the
 * whole fleet's), and this worker's jobs waiting for a place.
 */
public interface Capacity {

    /** The accounts whose capacity is kept. */
    Set<String> accountIds();

    /** One account's use against its limits, fleet-wide. */
    AccountUsage usage(String accountId);

    /** The account's token quota in force, or null when it has none. */
    Long tokenQuota(String accountId);

    /** This worker's jobs waiting for a place now. */
    int waiting();

    /** Places handed to a waiting job of this worker as another one released them, since the start. */
    long handedOver();

    /** Whether {@code thread} is waiting for a place. */
    boolean isWaiting(Thread thread);

    /** Ends the waits of these threads (their jobs get {@link WaitCancelledException}); running calls go on. */
    void cancelWaits(Collection<Thread> threads);
}
