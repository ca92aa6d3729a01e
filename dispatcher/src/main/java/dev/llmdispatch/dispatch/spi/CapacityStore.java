package dev.llmdispatch.dispatch.spi;

import java.util.Map;
import java.util.function.Consumer;

/**
 * Where the fleet's capacity is kept: one atomic decision per request, timed by the store's own clock, never a
 * worker's. {@code RedisCapacityStore} (package {@code redis}) in production; the seam lets the gate be tested with a store that fails.
 */
public interface CapacityStore {

    /** Why a request got no capacity, or that it got some. */
    enum Reason {
        GRANTED,
        /** every in-flight permit is taken */
        CONCURRENCY,
        /** the request window is full */
        REQUESTS,
        /** the token window has too little left */
        TOKENS,
        /** the limit state is being rebuilt after it vanished: nothing is granted until it has */
        REBUILDING,
        /** the limit state was lost and remade since this worker last saw it: put back the permits, then ask again */
        EPOCH,
        /** a permit this worker held is gone from the store (lost with the state): it must not be used */
        LOST_PERMIT,
        /** the capacity left is owed to more urgent jobs waiting on other workers */
        PRIORITY
    }

    /**
     * What to ask for.
     *
     * @param permitId     the in-flight permit to take (or to renew, when {@code held})
     * @param requestId    the request's place in the window
     * @param tokens       estimated tokens for the token window (0: none)
     * @param knownEpoch   the state epoch this worker knows ("" for none)
     * @param newEpoch     the epoch to create should the state be missing
     * @param quietOnNew   whether a state missing for a worker that knew none counts as lost
     * @param restoreMillis after a loss, how long nothing is granted while live workers put back their permits
     * @param sent         with {@code held}: the request that ended on the permit, to count from its writing
     * @param waiting      the asking job as the fleet's waiting jobs see it, or null to ignore them
     */
    record Ask(
            String permitId,
            boolean held,
            long leaseMillis,
            String requestId,
            long tokens,
            String knownEpoch,
            String newEpoch,
            boolean quietOnNew,
            long restoreMillis,
            Sent sent,
            Waiting waiting) {}

    /**
     * A worker's most urgent job waiting for an account: its rank is the store's now plus {@code urgencyMillis}
     * (lower goes first; a job's urgency falls as it waits). The entry holds {@code ttlMillis} unless renewed; ranks
     * closer than {@code toleranceMillis} count as equal. {@code nextUrgencyMillis}: the urgency of this worker's next
     * job waiting for the account, the entry once this one is granted; null when none waits (the entry goes with the
     * grant, in the same call). {@code tokens} and {@code nextTokens}: what those two jobs need of a token quota, kept
     * free of less urgent jobs on a sliding token window while they wait, so that a large job is not starved by smaller
     * ones that keep the window full.
     */
    record Waiting(
            String workerId,
            long urgencyMillis,
            long ttlMillis,
            long toleranceMillis,
            Long nextUrgencyMillis,
            long tokens,
            long nextTokens) {

        /** An entry for jobs that need no tokens. */
        public Waiting(
                String workerId, long urgencyMillis, long ttlMillis, long toleranceMillis, Long nextUrgencyMillis) {
            this(workerId, urgencyMillis, ttlMillis, toleranceMillis, nextUrgencyMillis, 0, 0);
        }
    }

    /**
     * A request that was written {@code millisAgo} ago: its place in the request window ({@code requestId}, "" when it
     * has none) and its entry in the token window ({@code tokenEntry} as it stands now, "" when it has none) are moved
     * to when it was written (never earlier than its grant), so that both hold a whole window after it reached the
     * provider, which counts it from its arrival.
     */
    record Sent(String requestId, long millisAgo, String tokenEntry) {}

    /**
     * The store's answer.
     *
     * @param retryMillis  when refused for a window or a rebuild: how long until capacity may appear (0: unknown)
     * @param serverMillis the store's clock at the decision
     * @param windowed     granted: whether the request sits in a request window (of any live worker's limits)
     * @param tokens       granted: the tokens it holds in the token window (clamped to the strictest quota), or 0
     * @param adaptiveLimit granted: the fleet's adaptive concurrency limit, or -1 when it is not cut
     */
    record Decision(
            Reason reason,
            long retryMillis,
            String epoch,
            long serverMillis,
            boolean windowed,
            long tokens,
            long adaptiveLimit) {

        public Decision(Reason reason, long retryMillis, String epoch, long serverMillis) {
            this(reason, retryMillis, epoch, serverMillis, false, 0, -1);
        }

        public Decision(
                Reason reason, long retryMillis, String epoch, long serverMillis, boolean windowed, long tokens) {
            this(reason, retryMillis, epoch, serverMillis, windowed, tokens, -1);
        }

        public boolean granted() {
            return reason == Reason.GRANTED;
        }
    }

    /** An account's fleet-wide use now. */
    record Usage(long inFlight, long requestsInWindow, long tokensInWindow, long rebuildingMillis) {}

    Decision acquire(AccountKeys account, AccountKeys.Declaration limits, Ask ask);

    /**
     * Moves the account's adaptive concurrency limit (AIMD, see adapt.lua): a cut ({@code cut}) of a call granted at
     * {@code grantedAtMillis} (the store's clock), or {@code healthyCalls} more healthy calls; returns the limit now.
     */
    long adapt(
            AccountKeys account, boolean cut, int healthyCalls, int ceiling, long grantedAtMillis, int factorPermille);

    /**
     * Replaces a request's token entry as granted ({@code id:estimate}) by what the provider used ({@code id:used}),
     * keeping its place in the token window.
     */
    void charge(AccountKeys account, String grantedEntry, String usedEntry);

    /**
     * Gives back what a request took: its permit (unless {@code permitId} is null: it stays until its lease ends),
     * and, for a request that was never sent, its places in the request and token windows; for one that was
     * ({@code sent}, or null), moves its window places to when it was written, and keeps them that long: a window's
     * keys then live a whole window of {@code limits} after the move, not only after the last grant.
     */
    void release(
            AccountKeys account,
            AccountKeys.Declaration limits,
            String permitId,
            String unsentRequestId,
            String unsentTokenEntry,
            Sent sent);

    /**
     * Checks that the state of epoch {@code knownEpoch} is still there, kept by the same server process; if not (gone,
     * or come back from another process's copy), remakes it as lost and puts back {@code permits} (id to lease
     * milliseconds left).
     *
     * @return the epoch now in force
     */
    String restore(
            AccountKeys account,
            AccountKeys.Declaration limits,
            String knownEpoch,
            String newEpoch,
            Map<String, Long> permits,
            long restoreMillis);

    Usage usage(AccountKeys account, AccountKeys.Declaration limits);

    /**
     * Keeps this worker's limits of the account in force (every request declares them too): a live worker's limits
     * hold while it lives, not only while it asks, so a rolling change keeps the stricter value until the last
     * worker holding it is gone.
     */
    void declare(AccountKeys account, AccountKeys.Declaration limits);

    /** Publishes this worker's most urgent job waiting for the account ({@code waiting}), or withdraws it (null). */
    void publishWaiting(AccountKeys account, String workerId, Waiting waiting);

    /** Calls {@code released} with the account id whenever any worker gives back capacity; returns a handle to remove. */
    AutoCloseable onRelease(Consumer<String> released);
}
