package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.contract.Priority;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * Start-time fair queuing across tenants inside each priority, on the gate's clock. A job counts as having started to
 * wait at its <em>fair start</em>: {@code max(now, its tenant's previous fair start + quantum / weight)}, and waiting
 * jobs are served in fair-start order. So a tenant with 60 jobs waiting does not keep another tenant's jobs behind all
 * of them: the two tenants' jobs interleave, each tenant's own in their order.
 *
 * <p>The quantum is how long the priority's jobs are apart at the gate now: the mean interval between its grants,
 * from a rate decayed over {@link #RATE_HORIZON_NANOS}, at most {@link #MAX_QUANTUM_NANOS}. Fair starts then advance as
 * fast as the capacity serves, so each of two tenants with work gets half of it whether the gate grants 1 job a second
 * or 500 (a fixed quantum larger than the interval would hold a tenant to one job per quantum, whatever the capacity).
 * A tenant's lead is capped at {@code cap} (half the priority aging step), so that it never outweighs a priority.
 */
final class FairShare {

    /** The quantum before any grant, and its upper bound. */
    static final long MAX_QUANTUM_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The grants counted for the rate fade over this long. */
    static final long RATE_HORIZON_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final long capNanos;
    private final Map<Priority, Rate> rates = new EnumMap<>(Priority.class);
    /** Per priority and tenant, the fair start of its last job; pruned when all are in the past. */
    private final Map<String, Long> lastFairStart = new HashMap<>();

    private volatile ToIntFunction<String> weights = tenant -> 1;

    /** @param capNanos the most a job's fair start may lie ahead of its arrival */
    FairShare(long capNanos) {
        this.capNanos = capNanos;
        for (Priority p : Priority.values()) {
            rates.put(p, new Rate());
        }
    }

    void weights(ToIntFunction<String> weights) {
        this.weights = weights;
    }

    /** The fair start of a job of this tenant and priority arriving at {@code now}. */
    synchronized long start(Priority priority, String tenant, long now) {
        long quantum = quantumNanos(priority, now) / Math.max(1, weights.applyAsInt(tenant));
        String key = priority.name() + "|" + tenant;
        Long last = lastFairStart.get(key);
        long start = last == null ? now : Math.max(now, Math.min(last + quantum, now + capNanos));
        if (lastFairStart.size() > 1_000) {
            lastFairStart.values().removeIf(t -> t < now);
        }
        lastFairStart.put(key, start);
        return start;
    }

    /** A job of this priority got capacity at {@code now}. */
    synchronized void granted(Priority priority, long now) {
        rates.get(priority).add(now);
    }

    /** The interval between the priority's grants now, bounded by {@link #MAX_QUANTUM_NANOS}. */
    synchronized long quantumNanos(Priority priority, long now) {
        double perNano = rates.get(priority).at(now);
        if (perNano <= 0) {
            return MAX_QUANTUM_NANOS;
        }
        return Math.min(MAX_QUANTUM_NANOS, Math.max(1, Math.round(1 / perNano)));
    }

    /** Events per nanosecond, each counted as {@code 1/horizon} and fading exponentially over the horizon. */
    private static final class Rate {
        private double value;
        private long at;

        void add(long now) {
            value = at(now) + 1.0 / RATE_HORIZON_NANOS;
            at = now;
        }

        double at(long now) {
            return value == 0 ? 0 : value * Math.exp(-(double) Math.max(0, now - at) / RATE_HORIZON_NANOS);
        }
    }
}
