package dev.llmdispatch.dispatch.spi;

import dev.llmdispatch.contract.JobResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who is handling each job now, and the outcome it ended with, shared by the fleet. A claim is a holder's token under
 * the job's id with a lease, renewed while the job runs; the outcome is kept a while after the job ends, so that a
 * second delivery of it is answered without a second provider call. A job's start reads its claim, its stored outcome
 * and its earlier failed calls ({@link AttemptLog}) together: in Redis, one round trip.
 */
public interface JobLedger {

    /**
     * What a job's start found.
     *
     * @param claimed whether the token now holds the job's claim (false: another token holds it)
     * @param stored  the outcome stored for the job, as it was written, or null for none
     * @param before  claimed, the job's earlier failed calls, oldest first (empty otherwise)
     */
    record Found(boolean claimed, String stored, List<JobResult.Attempt> before) {}

    /** A claim held: its job and its holder's token. */
    record Held(String jobId, String token) {}

    /** What a renewal found. */
    enum Renewal {
        /** The claim was the token's, and its lease starts again now. */
        RENEWED,
        /** The claim was not the token's any more (lapsed, taken over, or lost with the store). */
        GONE,
        /** The store could not be asked: try again at the next renewal. */
        FAILED
    }

    /** Claims the job for {@code token} for {@code lease} unless another token holds it; see {@link Found}. */
    Found start(String jobId, String token, Duration lease);

    /**
     * Stores the job's {@code outcome} for {@code keep}, then gives the claim up if it is still the token's, and drops
     * the job's failed calls (the outcome holds them). Whatever happens to the caller after, the outcome is there.
     */
    void finish(String jobId, String token, String outcome, Duration keep);

    /** Gives the claim up if it is still the token's; true when it was. */
    boolean release(String jobId, String token);

    /** Renews each claim still held by its token for {@code lease}; one renewal per claim, in its order. */
    List<Renewal> renew(List<Held> claims, Duration lease);

    /** Claims and outcomes in this JVM, timed by {@code clock}, reading and dropping the failed calls of {@code attempts}. */
    static JobLedger inMemory(Clock clock, AttemptLog attempts) {
        record Entry(String value, Instant until) {}
        return new JobLedger() {
            private final Map<String, Entry> claims = new HashMap<>();
            private final Map<String, Entry> outcomes = new HashMap<>();

            private Entry live(Map<String, Entry> entries, String jobId) {
                Entry e = entries.get(jobId);
                if (e != null && clock.instant().isAfter(e.until())) { // as in Redis: gone once past its time
                    entries.remove(jobId);
                    return null;
                }
                return e;
            }

            private boolean holds(String jobId, String token) {
                Entry claim = live(claims, jobId);
                return claim != null && claim.value().equals(token);
            }

            @Override
            public synchronized Found start(String jobId, String token, Duration lease) {
                boolean claimed = live(claims, jobId) == null;
                if (claimed) {
                    claims.put(jobId, new Entry(token, clock.instant().plus(lease)));
                }
                Entry outcome = live(outcomes, jobId);
                return new Found(
                        claimed, outcome == null ? null : outcome.value(), claimed ? attempts.load(jobId) : List.of());
            }

            @Override
            public synchronized void finish(String jobId, String token, String outcome, Duration keep) {
                outcomes.put(jobId, new Entry(outcome, clock.instant().plus(keep)));
                if (holds(jobId, token)) {
                    claims.remove(jobId);
                }
                attempts.ended(jobId);
            }

            @Override
            public synchronized boolean release(String jobId, String token) {
                return holds(jobId, token) && claims.remove(jobId) != null;
            }

            @Override
            public synchronized List<Renewal> renew(List<Held> held, Duration lease) {
                return held.stream()
                        .map(h -> {
                            if (!holds(h.jobId(), h.token())) {
                                return Renewal.GONE;
                            }
                            claims.put(
                                    h.jobId(),
                                    new Entry(h.token(), clock.instant().plus(lease)));
                            return Renewal.RENEWED;
                        })
                        .toList();
            }
        };
    }
}
