package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.Priority;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Buffered work, one FIFO per priority. {@link #take} serves HIGH before MEDIUM before LOW, except that a
 * lower priority with work is owed a minimum share of the starts (anti-starvation): each start credits it
 * its share, and once its credit reaches one start it goes next. A priority without work banks no credit.
 */
public final class PriorityBuffer<T> {

    private final Map<Priority, ArrayDeque<T>> queues = new EnumMap<>(Priority.class);
    private final Map<Priority, Double> shares = new EnumMap<>(Priority.class);
    private final Map<Priority, Double> credit = new EnumMap<>(Priority.class);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition nonEmpty = lock.newCondition();

    public PriorityBuffer(double minShareMedium, double minShareLow) {
        for (Priority p : Priority.values()) {
            queues.put(p, new ArrayDeque<>());
            credit.put(p, 0.0);
        }
        shares.put(Priority.HIGH, 0.0);
        shares.put(Priority.MEDIUM, minShareMedium);
        shares.put(Priority.LOW, minShareLow);
    }

    public void add(Priority priority, T item) {
        lock.lock();
        try {
            queues.get(priority).addLast(item);
            nonEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Puts work back at the head of its queue (it is retried before newer work). */
    public void addFirst(Priority priority, T item) {
        lock.lock();
        try {
            queues.get(priority).addFirst(item);
            nonEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** The next work by priority and share, waiting up to {@code timeout}; null when none came. */
    public T poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (isEmptyLocked()) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = nonEmpty.awaitNanos(nanos);
            }
            return next();
        } finally {
            lock.unlock();
        }
    }

    private T next() {
        Priority highest = null;
        for (Priority p : Priority.values()) {
            ArrayDeque<T> q = queues.get(p);
            if (q.isEmpty()) {
                credit.put(p, 0.0);
            } else if (highest == null) {
                highest = p;
            }
        }
        Priority chosen = highest;
        // lowest first: the most starved priority is owed most
        for (Priority p : List.of(Priority.LOW, Priority.MEDIUM)) {
            if (p.ordinal() > highest.ordinal() && !queues.get(p).isEmpty()) {
                double c = credit.get(p) + shares.get(p);
                credit.put(p, c);
                if (c >= 1.0 && chosen == highest) {
                    chosen = p;
                }
            }
        }
        if (chosen != highest) {
            credit.put(chosen, credit.get(chosen) - 1.0);
        }
        return queues.get(chosen).pollFirst();
    }

    private boolean isEmptyLocked() {
        for (ArrayDeque<T> q : queues.values()) {
            if (!q.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    public int size(Priority priority) {
        lock.lock();
        try {
            return queues.get(priority).size();
        } finally {
            lock.unlock();
        }
    }

    public int size() {
        lock.lock();
        try {
            int n = 0;
            for (ArrayDeque<T> q : queues.values()) {
                n += q.size();
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns the buffered work that matches. */
    public List<T> removeIf(Predicate<T> filter) {
        lock.lock();
        try {
            List<T> removed = new ArrayList<>();
            for (ArrayDeque<T> q : queues.values()) {
                for (Iterator<T> it = q.iterator(); it.hasNext(); ) {
                    T item = it.next();
                    if (filter.test(item)) {
                        removed.add(item);
                        it.remove();
                    }
                }
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }
}
