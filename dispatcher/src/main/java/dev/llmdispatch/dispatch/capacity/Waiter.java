package dev.llmdispatch.dispatch.capacity;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.routing.Slot;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/** A job waiting in the {@link CapacityGate} for room on one of its slots. */
final class Waiter {
    final List<Slot> slots;
    final Priority priority;
    final long seq;
    final Instant deadline;
    final long tokens;
    final long enqueuedNanos = System.nanoTime();
    final Thread thread = Thread.currentThread();
    final CompletableFuture<Lease> future = new CompletableFuture<>();
    /** Held by whoever is taking room for it (the granter or a hand-over), so that room is taken once. */
    final AtomicBoolean claimed = new AtomicBoolean();

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
