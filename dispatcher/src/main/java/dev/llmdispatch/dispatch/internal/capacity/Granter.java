package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.dispatch.internal.routing.Candidate;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gate's granter thread: a round over the waiting jobs, most urgent first, whenever capacity may have appeared (a
 * release here or elsewhere, a window's time, a signal), and otherwise at the latest after a second. In a round, an
 * account found full is not asked again for a less urgent job; a waiter whose every account is blocked for long, or
 * who waited through a whole store outage, is let go.
 */
final class Granter {

    private static final Logger log = LoggerFactory.getLogger(Granter.class);
    private static final long IDLE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final CapacityGate gate;
    private final ReentrantLock wakeLock = new ReentrantLock();
    private final Condition wake = wakeLock.newCondition();
    private boolean signalled;
    private final Thread thread;

    Granter(CapacityGate gate) {
        this.gate = gate;
        this.thread = Thread.ofPlatform().name("capacity-granter").daemon().unstarted(this::loop);
    }

    /** Starts the granter's thread (the gate is whole by then: {@link CapacityGate#start()}). */
    void start() {
        thread.start();
    }

    void stop() {
        thread.interrupt();
    }

    /** Wakes the granter: capacity may have appeared. */
    void signal() {
        wakeLock.lock();
        try {
            signalled = true;
            wake.signal();
        } finally {
            wakeLock.unlock();
        }
    }

    private void loop() {
        while (gate.running) {
            try {
                long wait = grantRound();
                wakeLock.lock();
                try {
                    if (!signalled && gate.running && wait > 0) {
                        wake.awaitNanos(wait);
                    }
                    signalled = false;
                } finally {
                    wakeLock.unlock();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("capacity round failed: {}", e.toString());
                try {
                    gate.sleeper.sleep(gate.settings.ratePoll().multipliedBy(4));
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** One pass over the waiters, most urgent first; returns how long to wait before the next (nanoseconds). */
    private long grantRound() {
        AccountAvailability.View view = gate.availability.view();
        Set<String> full = view.full();
        long nowNanos = gate.ticker.nanos();
        long failingSince = gate.storeFailingSince.get();
        long outage = gate.settings.redisOutageWait().toNanos();
        long nanosToDeadline = Long.MAX_VALUE;
        long now = gate.clock.millis();
        for (Waiter waiter : gate.queue.snapshot()) {
            if (waiter.future.isDone()) {
                gate.queue.remove(waiter);
                continue;
            }
            if (waiter.deadline != null) {
                long left = waiter.deadline.toEpochMilli() - now;
                if (left <= 0) {
                    continue; // its own thread times out and leaves
                }
                nanosToDeadline = Math.min(nanosToDeadline, TimeUnit.MILLISECONDS.toNanos(left));
            }
            if (!view.longBlocked().isEmpty()
                    && waiter.candidates.stream()
                            .allMatch(sl -> view.longBlocked().contains(sl.accountId()))) {
                gate.queue.remove(waiter);
                waiter.future.completeExceptionally(new NoUsableAccountException());
                continue;
            }
            if (failingSince != 0 && nowNanos - failingSince > outage && nowNanos - waiter.enqueuedNanos > outage) {
                gate.queue.remove(waiter);
                waiter.future.completeExceptionally(
                        new CapacityUnavailableException(gate.waitedMillis(waiter), gate.lastStoreError));
                continue;
            }
            if (full.size() < gate.accounts.size()) {
                serve(waiter, full);
            }
        }
        if (gate.fleetWaiting.any()) {
            gate.fleetWaiting.sync(gate.queue::mostUrgentPerAccount, gate.accounts::get, false);
        }
        return Math.min(gate.availability.nanosUntilNextAsk(IDLE_WAIT_NANOS, view.briefCooldown()), nanosToDeadline);
    }

    /** Tries the waiter's candidates that are not known full, best first; an account found full joins {@code full}. */
    private void serve(Waiter waiter, Set<String> full) {
        if (!waiter.claimed.compareAndSet(false, true)) {
            return; // a finished call is handing it a permit right now
        }
        boolean granted = false;
        try {
            for (Candidate candidate : gate.order.balanced(waiter.candidates)) {
                String accountId = candidate.accountId();
                if (full.contains(accountId)) {
                    continue;
                }
                AccountCapacity capacity = gate.accounts.get(accountId);
                long wakes = gate.availability.wakes(accountId);
                AccountCapacity.Grant grant;
                try {
                    grant = gate.ask(waiter, accountId, waiting -> capacity.tryAcquire(waiter.tokens, waiting));
                } catch (RuntimeException e) {
                    gate.storeError(accountId, e);
                    full.add(accountId);
                    continue;
                }
                if (grant.granted()) {
                    Lease lease = new Lease(candidate, grant, gate, gate.waitedNanos(waiter));
                    gate.queue.remove(waiter);
                    granted = true;
                    if (!waiter.future.complete(lease)) {
                        lease.unsend();
                    }
                    return;
                }
                full.add(accountId);
                gate.availability.refused(accountId, grant, wakes);
            }
        } finally {
            if (!granted) {
                waiter.claimed.set(false);
            }
        }
    }
}
