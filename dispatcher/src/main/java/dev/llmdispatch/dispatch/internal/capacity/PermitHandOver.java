package dev.llmdispatch.dispatch.internal.capacity;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The hand-over of a finished call's concurrency permit to a job of this worker waiting for the same account. */
final class PermitHandOver {

    private final CapacityGate gate;
    private final AtomicLong handedOver = new AtomicLong();

    PermitHandOver(CapacityGate gate) {
        this.gate = gate;
    }

    /**
     * Gives the concurrency permit of a finished call straight to the waiter the granter would serve next on
     * that account, in one store call that also takes its window places and renews the lease: the most urgent waiter
     * that has the account among its candidates, provided every candidate it prefers to this one is known to be full and no
     * more urgent job waits for the account on another worker. Otherwise, or when the account's window has no capacity,
     * the permit is released as usual.
     *
     * @return true when the permit went to a waiter
     */
    boolean tryHandOver(Lease finished) {
        String accountId = finished.candidate().accountId();
        AccountCapacity capacity = gate.accounts.get(accountId);
        long safe = TimeUnit.MILLISECONDS.toNanos(capacity.leaseMillis())
                - gate.settings.leaseMargin().toNanos() / 2;
        if (!gate.running
                || gate.nanos() - finished.askedNanos() > safe
                || gate.availability.windowFullOrBlocked(accountId)) {
            return false; // too little lease left to renew safely, or no capacity to hand on
        }
        Waiter waiter = gate.queue.mostUrgentFor(accountId, gate.clock.millis());
        if (waiter == null) {
            return false;
        }
        int candidateIndex = waiter.indexOf(accountId);
        for (int i = 0; i < candidateIndex; i++) {
            if (!gate.availability.knownFull(waiter.candidates.get(i).accountId())) {
                return false; // it may get a candidate it prefers: the granter decides
            }
        }
        if (!waiter.claimed.compareAndSet(false, true)) {
            return false; // the granter is serving it right now
        }
        long wakes = gate.availability.wakes(accountId);
        AccountCapacity.Grant grant;
        try {
            grant = gate.ask(
                    waiter,
                    accountId,
                    waiting -> capacity.reuse(finished.permitId(), waiter.tokens, finished.sent(), waiting));
        } catch (RuntimeException e) {
            waiter.claimed.set(false);
            gate.storeError(accountId, e);
            return false;
        }
        if (!grant.granted()) {
            gate.availability.refused(accountId, grant, wakes);
            waiter.claimed.set(false);
            return false;
        }
        gate.queue.remove(waiter);
        Lease lease = new Lease(waiter.candidates.get(candidateIndex), grant, gate, gate.waitedNanos(waiter));
        handedOver.incrementAndGet();
        if (!waiter.future.complete(lease)) {
            lease.unsend(); // it stopped waiting meanwhile: the permit goes on (or back)
        }
        return true;
    }

    /** Permits handed over so far. */
    long handedOver() {
        return handedOver.get();
    }
}
