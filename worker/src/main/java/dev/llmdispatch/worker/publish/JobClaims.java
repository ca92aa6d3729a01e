package dev.llmdispatch.worker.publish;

import dev.llmdispatch.dispatch.RedisKeys;
import dev.llmdispatch.dispatch.capacity.RedisRoundTrips;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
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

    private static final String CLAIM = RedisRoundTrips.script("claim", """
            if redis.call('set', KEYS[1], ARGV[1], 'nx', 'px', ARGV[2]) then
              return 1
            end
            return 0""");
    private static final String RENEW = RedisRoundTrips.script("claim_renew", """
            if redis.call('get', KEYS[1]) == ARGV[1] then
              return redis.call('pexpire', KEYS[1], ARGV[2])
            end
            return 0""");
    private static final String RELEASE = RedisRoundTrips.script("claim_release", """
            if redis.call('get', KEYS[1]) == ARGV[1] then
              return redis.call('del', KEYS[1])
            end
            return 0""");

    /** A claim held: its job and its holder's token. */
    public record Claim(String jobId, String token) {}

    private final RedissonClient redis;
    private final String keyPrefix;
    private final Duration lease;
    private final String worker = UUID.randomUUID().toString();
    private final AtomicLong runs = new AtomicLong();
    private final Map<String, Claim> held = new ConcurrentHashMap<>();

    public JobClaims(RedissonClient redis, String keyPrefix, Duration lease) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.lease = lease;
    }

    /** Claims the job for one run of it here; null when someone else (another worker, another run) holds it. */
    public Claim tryClaim(String jobId) {
        Claim claim = new Claim(jobId, worker + ":" + runs.incrementAndGet());
        if (!run(CLAIM, claim)) {
            return null;
        }
        held.put(claim.token(), claim);
        return claim;
    }

    /** Gives the claim up (the job's outcome is stored, or the job goes back unfinished). */
    public void release(Claim claim) {
        held.remove(claim.token());
        run(RELEASE, claim);
    }

    /** Renews the lease of every claim held here; one that failed is tried again at the next renewal. */
    public void renewAll() {
        for (Claim claim : held.values()) {
            try {
                if (!run(RENEW, claim) && held.containsKey(claim.token())) {
                    log.warn(
                            "job {}: its claim lapsed while it ran (Redis away longer than the {} lease?); another "
                                    + "worker may take it",
                            claim.jobId(),
                            lease);
                }
            } catch (RuntimeException e) {
                log.warn("job {}: renewing its claim failed: {}", claim.jobId(), e.toString());
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
