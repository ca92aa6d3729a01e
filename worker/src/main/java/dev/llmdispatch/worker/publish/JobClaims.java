package dev.llmdispatch.worker.publish;

import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.store.redis.RedisKeys;
import dev.llmdispatch.store.redis.RedisRoundTrips;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is handling a job now, shared by the fleet: a claim is a token of its holder (a worker and one run of the job
 * on it) under the job's key, with a lease that the worker renews while the job runs ({@link #renewAll}, every third
 * of the lease). Anyone else handling the same job id (a second owner after a rebalance, a second record of the job,
 * on this worker or another) does not call the provider while the claim is held: it waits until the holder has
 * stored an outcome, or its claim ends (released unfinished, or lapsed because the worker died), and takes it.
 *
 * <p>Lost with Redis: if Redis restarts empty while a job is being handled and another copy of it starts at the same
 * time, both can call the provider.
 */
public final class JobClaims {

    private static final Logger log = LoggerFactory.getLogger(JobClaims.class);
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);

    /**
     * KEYS: claim, answer, attempts; ARGV: token, lease ms. Claims the job when free; answers {claimed (1/0), the
     * stored outcome ('' for none), and, claimed, the job's earlier failed attempts} (a stored failure of an earlier
     * replay does not answer this one, whose run goes on with the attempts it has left).
     */
    private static final String START = RedisRoundTrips.script("claim_start");
    /**
     * KEYS: claim, answer, attempts; ARGV: token, outcome as stored, kept ms. Stores the outcome, then gives the claim
     * up (if still this run's) and drops the attempts, which the outcome holds.
     */
    private static final String FINISH = RedisRoundTrips.script("claim_finish");

    private static final String RENEW = RedisRoundTrips.script("claim_renew");
    private static final String RELEASE = RedisRoundTrips.script("claim_release");

    /** A claim held: its job and its holder's token. */
    public record Claim(String jobId, String token) {}

    /**
     * What a job's start found, in one round trip: its claim (null when another run holds it), the stored outcome that
     * answers this delivery (empty when the job must run), and, claimed and unanswered, its earlier failed calls (a
     * job moved from another worker goes on with the attempts it has left).
     */
    public record Start(Claim claim, Optional<JobResult> answered, List<JobResult.Attempt> before) {}

    private final RedissonClient redis;
    private final String keyPrefix;
    private final Duration lease;
    private final String worker = UUID.randomUUID().toString();
    private final AtomicLong runs = new AtomicLong();
    private final Map<String, Claim> held = new ConcurrentHashMap<>();
    /** Tokens of claims whose finish is under way. */
    private final Set<String> finishing = ConcurrentHashMap.newKeySet();

    private final Duration keep;

    /** Claims over this Redis, and outcomes kept {@link StoredAnswers#KEEP}. */
    public JobClaims(RedissonClient redis, String keyPrefix, Duration lease) {
        this(redis, keyPrefix, lease, StoredAnswers.KEEP);
    }

    public JobClaims(RedissonClient redis, String keyPrefix, Duration lease, Duration keep) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.lease = lease;
        this.keep = keep;
    }

    /**
     * Claims the job for one run of it here, and reads what the run needs, in one round trip: see {@link Start}.
     *
     * @param replayCount the delivery's replay, which decides whether a stored failure answers it
     */
    public Start start(String jobId, int replayCount) {
        Claim claim = new Claim(jobId, worker + ":" + runs.incrementAndGet());
        List<Object> r = redis.getScript(StringCodec.INSTANCE)
                .eval(
                        RedisKeys.of(keyPrefix).claim(jobId),
                        RScript.Mode.READ_WRITE,
                        START,
                        RScript.ReturnType.LIST,
                        keys(jobId),
                        claim.token(),
                        Long.toString(lease.toMillis()));
        boolean claimed = "1".equals(String.valueOf(r.get(0)));
        if (claimed) {
            held.put(claim.token(), claim);
        }
        try {
            Optional<JobResult> answered = StoredAnswers.answering(String.valueOf(r.get(1)), replayCount);
            List<JobResult.Attempt> before = answered.isPresent()
                    ? List.of()
                    : r.subList(2, r.size()).stream()
                            .map(json -> AttemptLog.decode(String.valueOf(json)))
                            .toList();
            return new Start(claimed ? claim : null, answered, before);
        } catch (RuntimeException e) {
            if (claimed) {
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
            redis.getScript(StringCodec.INSTANCE)
                    .eval(
                            RedisKeys.of(keyPrefix).claim(claim.jobId()),
                            RScript.Mode.READ_WRITE,
                            FINISH,
                            RScript.ReturnType.LONG,
                            keys(claim.jobId()),
                            claim.token(),
                            StoredAnswers.encode(result, replayCount),
                            Long.toString(keep.toMillis()));
            held.remove(claim.token());
        } finally {
            finishing.remove(claim.token());
        }
    }

    /** The job's claim, stored outcome and attempts: one hash slot (the job id's). */
    private List<Object> keys(String jobId) {
        RedisKeys keys = RedisKeys.of(keyPrefix);
        return List.of(keys.claim(jobId), keys.answer(jobId), keys.attempts(jobId));
    }

    /** Gives the claim up (the job's outcome is stored, or the job goes back unfinished). */
    public void release(Claim claim) {
        held.remove(claim.token());
        run(RELEASE, claim);
    }

    /**
     * Renews the lease of every claim held here, in one pipelined round trip (jobs waiting for capacity hold their
     * claims too: one call each would grow with the backlog); what failed is tried again at the next renewal.
     */
    public void renewAll() {
        List<Claim> claims = List.copyOf(held.values());
        if (claims.isEmpty()) {
            return;
        }
        RBatch batch = redis.createBatch();
        List<RFuture<Long>> renewed = new ArrayList<>(claims.size());
        for (Claim claim : claims) {
            String key = RedisKeys.of(keyPrefix).claim(claim.jobId());
            renewed.add(batch.getScript(StringCodec.INSTANCE)
                    .evalAsync(
                            key,
                            RScript.Mode.READ_WRITE,
                            RENEW,
                            RScript.ReturnType.LONG,
                            List.of(key),
                            claim.token(),
                            Long.toString(lease.toMillis())));
        }
        try {
            batch.execute();
        } catch (RuntimeException e) {
            // e.g. NOSCRIPT after a SCRIPT FLUSH, which a batch does not recover from: one call each, which does
            log.warn(
                    "renewing {} claims in one batch failed ({}); renewing them one by one",
                    claims.size(),
                    e.toString());
            claims.forEach(this::renewOne);
            return;
        }
        for (int i = 0; i < claims.size(); i++) {
            Long r = renewed.get(i).toCompletableFuture().getNow(0L);
            renewed(claims.get(i), r != null && r == 1L);
        }
    }

    private void renewOne(Claim claim) {
        try {
            renewed(claim, run(RENEW, claim));
        } catch (RuntimeException e) {
            log.warn("job {}: renewing its claim failed: {}", claim.jobId(), e.toString());
        }
    }

    /** A renewal that found the claim gone while it is still held here: another worker may take the job. */
    private void renewed(Claim claim, boolean renewed) {
        if (!renewed && held.containsKey(claim.token()) && !finishing.contains(claim.token())) {
            log.warn(
                    "job {}: its claim lapsed while it ran (Redis away longer than the {} lease?); another "
                            + "worker may take it",
                    claim.jobId(),
                    lease);
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

    private boolean run(String script, Claim claim) {
        String key = RedisKeys.of(keyPrefix).claim(claim.jobId());
        Object r = redis.getScript(StringCodec.INSTANCE)
                .eval(
                        key,
                        RScript.Mode.READ_WRITE,
                        script,
                        RScript.ReturnType.LONG,
                        List.of(key),
                        claim.token(),
                        Long.toString(lease.toMillis()));
        return r instanceof Long l && l == 1L;
    }
}
