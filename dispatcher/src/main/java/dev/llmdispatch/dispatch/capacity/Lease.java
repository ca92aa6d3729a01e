package dev.llmdispatch.dispatch.capacity;

import dev.llmdispatch.dispatch.routing.Slot;

/**
 * Room for one provider call on one account, taken from the fleet-wide limits. Release it when the call
 * ends, in a {@code finally}: a lease left unreleased comes back only when it expires.
 */
public final class Lease implements AutoCloseable {

    private final Slot slot;
    private final String permitId;
    private final CapacityGate gate;
    private final long waitedMillis;
    private final long grantedNanos = System.nanoTime();
    private boolean released;

    Lease(Slot slot, String permitId, CapacityGate gate, long waitedMillis) {
        this.slot = slot;
        this.permitId = permitId;
        this.gate = gate;
        this.waitedMillis = waitedMillis;
    }

    String permitId() {
        return permitId;
    }

    /** When the concurrency permit was taken or its lease last renewed ({@link System#nanoTime()}). */
    long grantedNanos() {
        return grantedNanos;
    }

    public Slot slot() {
        return slot;
    }

    /** How long the job waited for this room. */
    public long waitedMillis() {
        return waitedMillis;
    }

    @Override
    public synchronized void close() {
        if (!released) {
            released = true;
            gate.release(this);
        }
    }
}
