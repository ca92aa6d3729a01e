package dev.llmdispatch.worker.consume;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.time.Ticker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * Buffered work, one queue per priority. {@link #poll} serves HIGH before MEDIUM before LOW, except that a
 * lower priority with work is owed a minimum share of the starts (anti-starvation): each start credits it
 * its share, and once its credit reaches one start it goes next. A priority without work banks no credit.
 *
 * <p>Inside a priority, tenants take turns (weighted round robin): a tenant's turn serves up to its weight of its
 * own items, in their order, then the next tenant with work goes. So a tenant with 10,000 items buffered delays
 * another's first item by at most one turn, not by its 10,000.
 *
 * <p>A tenant can be held ({@link #hold}): its items stay, in their order, but none is served until the hold ends (a
 * budget of the tenant's renews); the other tenants' items are served meanwhile.
 */
public final class PriorityBuffer<T> {

    private final Map<Priority, TenantQueues<T>> queues = new EnumMap<>(Priority.class);
    private final Function<T, String> tenantOf;
    private final ToIntFunction<String> weightOf;
    private final Map<Priority, Double> shares = new EnumMap<>(Priority.class);
    private final Map<Priority, Double> credit = new EnumMap<>(Priority.class);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition nonEmpty = lock.newCondition();
    private final Ticker ticker;
    /** Held tenants, with the ticker reading their hold ends. */
    private final Map<String, Long> heldUntil = new HashMap<>();

    /** A buffer without tenants: one FIFO per priority. */
    public PriorityBuffer(double minShareMedium, double minShareLow) {
        this(minShareMedium, minShareLow, item -> "", tenant -> 1);
    }

    /**
     * @param tenantOf an item's tenant ("" for none)
     * @param weightOf a tenant's weight: the items it is served per turn
     */
    public PriorityBuffer(
            double minShareMedium, double minShareLow, Function<T, String> tenantOf, ToIntFunction<String> weightOf) {
        this(minShareMedium, minShareLow, tenantOf, weightOf, Ticker.SYSTEM);
    }

    /** @param ticker the ticker holds end by (tests set it by hand) */
    PriorityBuffer(
            double minShareMedium,
            double minShareLow,
            Function<T, String> tenantOf,
            ToIntFunction<String> weightOf,
            Ticker ticker) {
        this.ticker = ticker;
        this.tenantOf = tenantOf;
        this.weightOf = weightOf;
        for (Priority p : Priority.values()) {
            queues.put(p, new TenantQueues<>());
            credit.put(p, 0.0);
        }
        shares.put(Priority.HIGH, 0.0);
        shares.put(Priority.MEDIUM, minShareMedium);
        shares.put(Priority.LOW, minShareLow);
    }

    public void add(Priority priority, T item) {
        String tenant = tenantOf.apply(item); // outside the lock: it may read the record
        lock.lock();
        try {
            queues.get(priority).addLast(tenant, item);
            nonEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Puts work back at the head of its queue (it is retried before newer work). */
    public void addFirst(Priority priority, T item) {
        String tenant = tenantOf.apply(item); // outside the lock: it may read the record
        lock.lock();
        try {
            queues.get(priority).addFirst(tenant, item);
            nonEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Puts work back at the head of its tenant's queue and holds the tenant for {@code hold}: none of its items is
     * served before then (a longer hold already in place stays).
     */
    public void hold(Priority priority, T item, Duration hold) {
        String tenant = tenantOf.apply(item); // outside the lock: it may read the record
        lock.lock();
        try {
            heldUntil.merge(tenant, ticker.nanos() + hold.toNanos(), (a, b) -> a - b > 0 ? a : b);
            queues.get(priority).addFirst(tenant, item);
        } finally {
            lock.unlock();
        }
    }

    /** The next work by priority and share, waiting up to {@code timeout}; null when none came. */
    public T poll(long timeout, TimeUnit unit) throws InterruptedException {
        return poll(timeout, unit, tenant -> true);
    }

    /**
     * As {@link #poll(long, TimeUnit)}, serving only tenants that {@code mayStart} lets start now: the others' items
     * wait as a held tenant's do. {@code mayStart} is asked under the buffer's lock; call {@link #wake} when its answer
     * may have changed.
     */
    public T poll(long timeout, TimeUnit unit, Predicate<String> mayStart) throws InterruptedException {
        Predicate<String> waits = tenant -> held(tenant) || !mayStart.test(tenant);
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (!servableLocked(waits)) {
                if (nanos <= 0) {
                    return null;
                }
                // a hold that ends makes work servable without a signal
                long wait = Math.min(nanos, untilHoldEnds());
                nanos -= wait - nonEmpty.awaitNanos(wait);
            }
            return next(waits);
        } finally {
            lock.unlock();
        }
    }

    /** Wakes a {@link #poll} waiting for a tenant that may start now. */
    public void wake() {
        lock.lock();
        try {
            nonEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the tenant is held now; forgets holds that ended. */
    private boolean held(String tenant) {
        Long until = heldUntil.get(tenant);
        if (until == null) {
            return false;
        }
        if (ticker.nanos() - until >= 0) {
            heldUntil.remove(tenant);
            return false;
        }
        return true;
    }

    /** How long until the next hold ends (forgetting those that ended: their tenants may have no items left). */
    private long untilHoldEnds() {
        long now = ticker.nanos();
        heldUntil.values().removeIf(until -> now - until >= 0);
        long soonest = Long.MAX_VALUE;
        for (long until : heldUntil.values()) {
            soonest = Math.min(soonest, until - now);
        }
        return soonest;
    }

    private T next(Predicate<String> waits) {
        Priority highest = null;
        for (Priority p : Priority.values()) {
            TenantQueues<T> q = queues.get(p);
            if (!q.servable(this::held)) {
                credit.put(p, 0.0); // no work it could be served now: it banks no credit
            } else if (highest == null && q.servable(waits)) {
                highest = p;
            }
        }
        Priority chosen = highest;
        // lowest first: the most starved priority is owed most
        for (Priority p : List.of(Priority.LOW, Priority.MEDIUM)) {
            if (p.ordinal() > highest.ordinal() && queues.get(p).servable(waits)) {
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
        return queues.get(chosen).poll(weightOf, waits);
    }

    private boolean servableLocked(Predicate<String> waits) {
        for (TenantQueues<T> q : queues.values()) {
            if (q.servable(waits)) {
                return true;
            }
        }
        return false;
    }

    /** Items of a priority whose tenant is held now: they wait for the hold, not for a start. */
    public int held(Priority priority) {
        lock.lock();
        try {
            return queues.get(priority).heldSize(this::held);
        } finally {
            lock.unlock();
        }
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
            for (TenantQueues<T> q : queues.values()) {
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
            for (TenantQueues<T> q : queues.values()) {
                q.removeIf(filter, removed);
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /** One priority's items: a FIFO per tenant, and the tenants with items in turn order. */
    private static final class TenantQueues<T> {
        private final Map<String, ArrayDeque<T>> byTenant = new HashMap<>();
        private final ArrayDeque<String> turns = new ArrayDeque<>();
        private int servedThisTurn;
        private int size;

        void addLast(String tenant, T item) {
            queueOf(tenant, false).addLast(item);
            size++;
        }

        /** At the head of its tenant's queue, and that tenant next. */
        void addFirst(String tenant, T item) {
            queueOf(tenant, true).addFirst(item);
            size++;
        }

        private ArrayDeque<T> queueOf(String tenant, boolean next) {
            ArrayDeque<T> q = byTenant.get(tenant);
            if (q == null) {
                q = new ArrayDeque<>();
                byTenant.put(tenant, q);
                if (next) {
                    turns.addFirst(tenant);
                    servedThisTurn = 0;
                } else {
                    turns.addLast(tenant);
                }
            }
            return q;
        }

        /** The next item of the first tenant in turn that is not held; held tenants at the head go to the back. */
        T poll(ToIntFunction<String> weightOf, Predicate<String> held) {
            for (int i = 0; i < turns.size() && held.test(turns.peekFirst()); i++) {
                turns.addLast(turns.pollFirst());
                servedThisTurn = 0;
            }
            String tenant = turns.peekFirst();
            if (tenant == null || held.test(tenant)) {
                return null;
            }
            ArrayDeque<T> q = byTenant.get(tenant);
            T item = q.pollFirst();
            size--;
            servedThisTurn++;
            if (q.isEmpty()) {
                byTenant.remove(tenant);
                turns.pollFirst();
                servedThisTurn = 0;
            } else if (servedThisTurn >= Math.max(1, weightOf.applyAsInt(tenant))) {
                turns.addLast(turns.pollFirst());
                servedThisTurn = 0;
            }
            return item;
        }

        boolean isEmpty() {
            return size == 0;
        }

        /** Whether some tenant with items is not held. */
        boolean servable(Predicate<String> held) {
            for (String tenant : turns) {
                if (!held.test(tenant)) {
                    return true;
                }
            }
            return false;
        }

        int heldSize(Predicate<String> held) {
            int n = 0;
            for (String tenant : turns) {
                if (held.test(tenant)) {
                    n += byTenant.get(tenant).size();
                }
            }
            return n;
        }

        int size() {
            return size;
        }

        void removeIf(Predicate<T> filter, List<T> removed) {
            for (Iterator<Map.Entry<String, ArrayDeque<T>>> tenants =
                            byTenant.entrySet().iterator();
                    tenants.hasNext(); ) {
                Map.Entry<String, ArrayDeque<T>> entry = tenants.next();
                for (Iterator<T> it = entry.getValue().iterator(); it.hasNext(); ) {
                    T item = it.next();
                    if (filter.test(item)) {
                        removed.add(item);
                        it.remove();
                        size--;
                    }
                }
                if (entry.getValue().isEmpty()) {
                    if (entry.getKey().equals(turns.peekFirst())) {
                        servedThisTurn = 0;
                    }
                    turns.remove(entry.getKey());
                    tenants.remove();
                }
            }
        }
    }
}
