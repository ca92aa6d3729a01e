package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.dispatch.internal.provider.WriteGate;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Room for one provider call on one account, taken from the fleet-wide limits. End it exactly once, in a
 * {@code finally}: {@link #close()} when the call is over, {@link #closeKeepingPermit()} when the provider may
 * still be working on it, {@link #unsend()} when the request was never written. A lease left open comes back only
 * when it expires.
 */
public final class Lease implements AutoCloseable, WriteGate {

    private final Candidate candidate;
    private final AccountCapacity.Grant grant;
    private final CapacityGate gate;
    private final long waitedNanos;
    private boolean ended;
    /** When the request was let go to be written (the gate's ticker), 0 before. */
    private volatile long writtenNanos;
    /** When the HTTP client took the request's body (the gate's ticker), 0 before. */
    private volatile long leftNanos;
    /** Whether the request left so late after its grant that its window places were moved to then. */
    private volatile boolean leftLate;
    /** Its entry in the token window as it stands: the estimate as granted, then what the provider used. */
    private volatile String tokenEntry;
    /** The grant's age when the request was about to be written, -1 before. */
    private volatile long ageAtWriteNanos = -1;

    Lease(Candidate candidate, AccountCapacity.Grant grant, CapacityGate gate, long waitedNanos) {
        this.candidate = candidate;
        this.grant = grant;
        this.gate = gate;
        this.waitedNanos = waitedNanos;
        this.tokenEntry = grant.tokenEntry();
    }

    AccountCapacity.Grant grant() {
        return grant;
    }

    String permitId() {
        return grant.permitId();
    }

    /** When the capacity was asked for (the gate's ticker): the grant is no older than this. */
    long askedNanos() {
        return grant.askedNanos();
    }

    public Candidate candidate() {
        return candidate;
    }

    /** How long the job waited for this capacity. */
    public long waitedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(waitedNanos);
    }

    /** How long the job waited for this capacity, in nanoseconds. */
    public long waitedNanos() {
        return waitedNanos;
    }

    /** How old the grant is now, at most (nanoseconds). */
    public long ageNanos() {
        return gate.nanos() - grant.askedNanos();
    }

    /**
     * Whether the request may be written now. On an account with a request window or a token quota, only while the
     * grant is no older than half the window guard (its place in the windows then covers the request's arrival at the
     * provider, the other half being the network's). On one with
     * a concurrency limit, only while the permit's lease (the call's timeout plus the lease margin) still covers the
     * whole call: the grant no older than the margin less the guard, since the call ends by its timeout; a JVM paused
     * longer would run its call on a permit the store may have given to another worker. Ask it at the last moment
     * before the request's first byte leaves.
     */
    @Override
    public boolean mayWrite() {
        long age = ageNanos();
        ageAtWriteNanos = age;
        // in a request window of any live worker's limits, not only this worker's
        boolean writable = (!grant.placed() || age <= gate.writeWithinNanos())
                && (!candidate.account().limits().hasConcurrencyLimit() || age <= gate.permitWriteNanos());
        if (writable) {
            writtenNanos = gate.nanos();
        }
        return writable;
    }

    /**
     * The HTTP client took the request's body: it leaves now. A JVM starved after {@link #mayWrite()} said yes sends
     * it late, and the provider counts it from its arrival: its window place then counts from now. Past the guard,
     * the place is moved at once (in the background), not only when the call ends: a long call would otherwise leave
     * the fleet a window that ends before the provider's.
     */
    @Override
    public void left() {
        long now = gate.nanos();
        leftNanos = now;
        if (grant.placed() && writtenNanos != 0 && now - grant.askedNanos() > gate.writeWithinNanos()) {
            leftLate = true;
            gate.movePlace(this);
        }
    }

    /**
     * Whether the request left so late after its grant (a JVM starved after {@link #mayWrite()}) that its places in
     * the windows were moved to when it left.
     */
    public boolean leftLate() {
        return leftLate;
    }

    /** How old the grant was when the request left, at most (-1: it did not leave). */
    public long ageAtLeftNanos() {
        long left = leftNanos;
        return left == 0 ? -1 : left - grant.askedNanos();
    }

    /** The grant's age when the request was about to be written (-1: it never got that far). */
    public long ageAtWriteNanos() {
        return ageAtWriteNanos;
    }

    /** From the request being let go to the HTTP client taking its body (-1: it did not leave). */
    public long leftAfterNanos() {
        long written = writtenNanos;
        long left = leftNanos;
        return written == 0 || left == 0 ? -1 : Math.max(0, left - written);
    }

    /**
     * The request as sent, for its window place to count from when it left (or, not known, from when it was let go);
     * null when it was not let go.
     */
    CapacityStore.Sent sent() {
        long written = writtenNanos;
        long left = leftNanos;
        long at = left != 0 && left - written > 0 ? left : written;
        String entry = tokenEntry;
        return written == 0
                ? null
                : new CapacityStore.Sent(
                        grant.windowed() ? grant.requestId() : "",
                        TimeUnit.NANOSECONDS.toMillis(gate.nanos() - at),
                        entry == null ? "" : entry);
    }

    /**
     * The provider said how many tokens the call used ({@code usage}): the account's token quota counts these instead
     * of the estimate it was granted with. A store error keeps the estimate.
     */
    public void charge(long usedTokens) {
        try {
            String used = gate.accounts.get(candidate.accountId()).charge(grant, usedTokens);
            if (used != null) {
                tokenEntry = used;
            }
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Lease.class)
                    .warn(
                            "account {}: tokens used not charged in Redis ({}); the estimate stands",
                            candidate.accountId(),
                            e.toString());
        }
    }

    /**
     * How the call went, for the account's adaptive concurrency: {@code overloaded} for a 429 or a timeout. A store
     * error leaves the limit as it is.
     */
    public void callEnded(boolean overloaded, long millis, String kind) {
        try {
            gate.accounts.get(candidate.accountId()).callEnded(grant, overloaded, millis, kind);
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Lease.class)
                    .debug("account {}: adaptive limit not moved ({})", candidate.accountId(), e.toString());
        }
    }

    /** The call is over: the permit goes back (or straight to a waiting job); the request keeps its window place. */
    @Override
    public synchronized void close() {
        if (!ended) {
            ended = true;
            gate.release(this, false, false);
        }
    }

    /**
     * The call ended without an answer after its request was written (timeout, connection lost): the provider may
     * still be generating, so the permit keeps counting until its lease ends.
     */
    public synchronized void closeKeepingPermit() {
        if (!ended) {
            ended = true;
            gate.release(this, true, false);
        }
    }

    /**
     * The call is over: {@link #closeKeepingPermit()} when the provider may still be working on it (no answer came
     * although the request was written), else {@link #close()}.
     */
    public void closeAfter(boolean providerMayStillRun) {
        if (providerMayStillRun) {
            closeKeepingPermit();
        } else {
            close();
        }
    }

    /** The request was never written: the permit and its places in the windows go back. */
    public synchronized void unsend() {
        if (!ended) {
            ended = true;
            gate.release(this, false, true);
        }
    }
}
