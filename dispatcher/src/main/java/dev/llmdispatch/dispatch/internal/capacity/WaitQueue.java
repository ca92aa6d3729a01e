package dev.llmdispatch.dispatch.internal.capacity;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReentrantLock;

/** The jobs of this worker waiting for capacity, the most urgent first ({@link Waiter#rank}, then arrival). */
final class WaitQueue {

    static final Comparator<Waiter> MOST_URGENT_FIRST =
            Comparator.comparingLong((Waiter w) -> w.rank).thenComparingLong(w -> w.seq);

    private final ReentrantLock lock = new ReentrantLock();
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>(MOST_URGENT_FIRST);

    void add(Waiter waiter) {
        lock.lock();
        try {
            waiters.add(waiter);
        } finally {
            lock.unlock();
        }
    }

    void remove(Waiter waiter) {
        lock.lock();
        try {
            waiters.remove(waiter);
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return waiters.size();
        } finally {
            lock.unlock();
        }
    }

    /** Every waiter, the most urgent first. */
    List<Waiter> snapshot() {
        List<Waiter> out;
        lock.lock();
        try {
            out = new ArrayList<>(waiters);
        } finally {
            lock.unlock();
        }
        out.sort(MOST_URGENT_FIRST);
        return out;
    }

    /** Cancels the waits of these threads (their jobs go back unstarted). */
    void cancel(Collection<Thread> threads) {
        lock.lock();
        try {
            waiters.removeIf(w -> threads.contains(w.thread) && w.future.cancel(false));
        } finally {
            lock.unlock();
        }
    }

    boolean isWaiting(Thread thread) {
        lock.lock();
        try {
            return waiters.stream().anyMatch(w -> w.thread == thread && !w.future.isDone());
        } finally {
            lock.unlock();
        }
    }

    /** The most urgent waiter still waiting, before its deadline, that can use the account; null for none. */
    Waiter mostUrgentFor(String accountId, long nowMillis) {
        return mostUrgentFor(accountId, nowMillis, null);
    }

    /** As {@link #mostUrgentFor(String, long)}, leaving {@code except} out (the job being served). */
    Waiter mostUrgentFor(String accountId, long nowMillis, Waiter except) {
        Waiter best = null;
        lock.lock();
        try {
            for (Waiter w : waiters) {
                if (w != except
                        && w.indexOf(accountId) >= 0
                        && !w.future.isDone()
                        && (w.deadline == null || w.deadline.toEpochMilli() > nowMillis)
                        && (best == null || w.before(best))) {
                    best = w;
                }
            }
        } finally {
            lock.unlock();
        }
        return best;
    }

    /** Per account, the most urgent waiter still waiting that can use it. */
    Map<String, Waiter> mostUrgentPerAccount() {
        Map<String, Waiter> best = new HashMap<>();
        lock.lock();
        try {
            for (Waiter w : waiters) {
                if (!w.future.isDone()) {
                    w.candidates.forEach(
                            candidate -> best.merge(candidate.accountId(), w, (a, b) -> a.before(b) ? a : b));
                }
            }
        } finally {
            lock.unlock();
        }
        return best;
    }

    /** Cancels every wait (the gate is closing). */
    void cancelAll() {
        lock.lock();
        try {
            waiters.forEach(w -> w.future.cancel(false));
            waiters.clear();
        } finally {
            lock.unlock();
        }
    }
}
