package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.internal.run.StoredAnswers;
import dev.llmdispatch.dispatch.spi.JobLedger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is handling a job now, shared by the fleet through a {@link JobLedger}: a claim is a token of its holder (a
 * worker and one run of the job on it) under the job's key, with a lease that the worker renews while the job runs
 * ({@link #renewAll}, every third of the lease). Anyone else handling the same job id (a second owner after a
 * rebalance, a second record of the job, on this worker or another) does not call the provider while the claim is
 * held: it waits until the holder has stored an outcome, or its claim ends (released unfinished, or lapsed because
 * the worker died), and takes it.
 *
 * <p>Lost with Redis: if Redis restarts empty while a job is being handled and another copy of it starts at the same
 * time, both can call the provider.
 */
public final class JobClaims {

    private static final Logger log = LoggerFactory.getLogger(JobClaims.class);
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);

    /** A claim held: its job and its holder's token. */
    public record Claim(String jobId, String token) {}

    /**
     * What a job's start found, in one round trip: its claim (null when another run holds it), the stored outcome that
     * answers this delivery (empty when the job must run), and, claimed and unanswered, its earlier failed calls (a
     * job moved from another worker goes on with the attempts it has left).
     */
    public record Start(Claim claim, Optional<JobResult> answered, List<JobResult.Attempt> before) {}

    private final JobLedger ledger;
    private final Duration lease;
    private final String worker = UUID.randomUUID().toString();
    private final AtomicLong runs = new AtomicLong();
    private final Map<String, Claim> held = new ConcurrentHashMap<>();
    /** Tokens of claims whose finish is under way. */
    private final Set<String> finishing = ConcurrentHashMap.newKeySet();

    private final Duration keep;

    /** Claims in this ledger, and outcomes kept {@link StoredAnswers#KEEP}. */
    public JobClaims(JobLedger ledger, Duration lease) {
        this(ledger, lease, StoredAnswers.KEEP);
    }

    public JobClaims(JobLedger ledger, Duration lease, Duration keep) {
        this.ledger = ledger;
        this.lease = lease;
        this.keep = keep;
    }

    /**
     * Claims the job for one run of it here, and reads what the run needs, in one round trip: see {@link Start}.
     *
     * @param replayCount the delivery's replay, which decides whether a stored failure answers it (a stored failure
     *                    of an earlier replay does not answer this one, whose run goes on with the attempts it has left)
     */
    public Start start(String jobId, int replayCount) {
        Claim claim = new Claim(jobId, worker + ":" + runs.incrementAndGet());
        JobLedger.Found found = ledger.start(jobId, claim.token(), lease);
        if (found.claimed()) {
            held.put(claim.token(), claim);
        }
        try {
            Optional<JobResult> answered = StoredAnswers.answering(found.stored(), replayCount);
            List<JobResult.Attempt> before = answered.isPresent() ? List.of() : found.before();
            return new Start(found.claimed() ? claim : null, answered, before);
        } catch (RuntimeException e) {
            if (found.claimed()) {
                release(claim); // unreadable: the caller never holds it, so it must not stay held (and renewed) here
            }
            throw e;
        }
    }

    /**
     * Stores the job's outcome for the replay it answers, then gives the claim up, in one round trip: whatever happens
     * to this worker from here, the job is not sent to a provider again for this delivery.
     */
    public void finish(Claim claim, JobResult result, int replayCount) {
        // a renewal that finds the claim gone meanwhile met this finish, not a lapse (it is still renewed until then)
        finishing.add(claim.token());
        try {
            ledger.finish(claim.jobId(), claim.token(), StoredAnswers.encode(result, replayCount), keep);
            held.remove(claim.token());
        } finally {
            finishing.remove(claim.token());
        }
    }

    /** Gives the claim up (the job's outcome is stored, or the job goes back unfinished). */
    public void release(Claim claim) {
        held.remove(claim.token());
        ledger.release(claim.jobId(), claim.token());
    }

    /**
     * Renews the lease of every claim held here, in one round trip (jobs waiting for capacity hold their claims too);
     * what failed is tried again at the next renewal.
     */
    public void renewAll() {
        List<Claim> claims = List.copyOf(held.values());
        if (claims.isEmpty()) {
            return;
        }
        List<JobLedger.Renewal> renewals = ledger.renew(
                claims.stream()
                        .map(c -> new JobLedger.Held(c.jobId(), c.token()))
                        .toList(),
                lease);
        for (int i = 0; i < claims.size(); i++) {
            Claim claim = claims.get(i);
            // a renewal that found the claim gone while it is still held here: another worker may take the job
            if (renewals.get(i) == JobLedger.Renewal.GONE
                    && held.containsKey(claim.token())
                    && !finishing.contains(claim.token())) {
                log.warn(
                        "job {}: its claim lapsed while it ran (Redis away longer than the {} lease?); another "
                                + "worker may take it",
                        claim.jobId(),
                        lease);
            }
        }
    }

    /** How often {@link #renewAll} must run. */
    public Duration renewInterval() {
        return lease.dividedBy(3);
    }

    /** The lease of a claim: how long a dead worker's claim keeps a job from others. */
    public Duration lease() {
        return lease;
    }
}
