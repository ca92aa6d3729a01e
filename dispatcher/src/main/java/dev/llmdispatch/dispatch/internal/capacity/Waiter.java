package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A job waiting in the {@link CapacityGate} for capacity on one of its candidates. Waiters are served by {@link #rank}: the
 * time it arrived plus one aging step per priority level below HIGH, so a waiting job rises one level for each step
 * it waits (a LOW job is served before HIGH jobs that arrive two steps after it), then by arrival.
 */
final class Waiter {
    final List<Candidate> candidates;
    final Priority priority;
    final long seq;
    final Instant deadline;
    final long tokens;
    final long enqueuedNanos;
    final String tenant;
    final long fairStartNanos;
    final long rank;
    final Thread thread = Thread.currentThread();
    final CompletableFuture<Lease> future = new CompletableFuture<>();
    /** Held by whoever is taking capacity for it (the granter or a hand-over), so that capacity is taken once. */
    final AtomicBoolean claimed = new AtomicBoolean();

    /**
     * @param enqueuedNanos when it started waiting, on the gate's ticker
     * @param originNanos   the gate's start on the same ticker, so that ranks stay small
     * @param agingNanos    how long a waiter waits to rise one priority level (0: never, strict priority)
     */
    Waiter(
            List<Candidate> candidates,
            Priority priority,
            long seq,
            Instant deadline,
            long tokens,
            long enqueuedNanos,
            long originNanos,
            long agingNanos) {
        this(candidates, priority, seq, deadline, tokens, enqueuedNanos, originNanos, agingNanos, "", enqueuedNanos);
    }

    /**
     * @param tenant          whose job it is ("" for none)
     * @param fairStartNanos  when it counts as having started to wait, for its rank: later than {@code enqueuedNanos}
     *                        by its tenant's share of the jobs already waiting (fair share between tenants)
     */
    Waiter(
            List<Candidate> candidates,
            Priority priority,
            long seq,
            Instant deadline,
            long tokens,
            long enqueuedNanos,
            long originNanos,
            long agingNanos,
            String tenant,
            long fairStartNanos) {
        this.enqueuedNanos = enqueuedNanos;
        this.tenant = tenant;
        this.fairStartNanos = fairStartNanos;
        this.rank = (fairStartNanos - originNanos) + priority.ordinal() * (agingNanos > 0 ? agingNanos : 1L << 55);
        this.candidates = candidates;
        this.priority = priority;
        this.seq = seq;
        this.deadline = deadline;
        this.tokens = tokens;
    }

    int indexOf(String accountId) {
        for (int i = 0; i < candidates.size(); i++) {
            if (candidates.get(i).accountId().equals(accountId)) {
                return i;
            }
        }
        return -1;
    }

    /** Served before {@code other}: a lower rank (priority, aged), or the same and earlier. */
    boolean before(Waiter other) {
        return rank < other.rank || (rank == other.rank && seq < other.seq);
    }
}
