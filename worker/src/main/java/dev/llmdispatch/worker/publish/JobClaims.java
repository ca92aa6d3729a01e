package dev.llmdispatch.worker.publish;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * Who is handling a job now, shared by the fleet: a claim is the owner's id under the job's key, with a lease that
 * the owner renews while it works ({@link #renewAll}, every third of the lease). A second owner of the job (after
 * a rebalance, a redelivery) does not call the provider while the claim is held: it waits until the first owner
 * has stored an outcome, or its claim ends (released unfinished, or lapsed because the owner died), and takes it.
 *
 * <p>Lost with Redis: if Redis restarts empty while a job is being handled and its partition moves at the same
 * time, two owners can run it.
 */
public final class JobClaims {

    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);

    private static final String CLAIM = """
            local owner = redis.call('get', KEYS[1])
            if owner == false or owner == ARGV[1] then
              redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
              return 1
            end
            return 0""";
    private static final String RENEW = """
            if redis.call('get', KEYS[1]) == ARGV[1] then
              return redis.call('pexpire', KEYS[1], ARGV[2])
            end
            return 0""";
    private static final String RELEASE = """
            if redis.call('get', KEYS[1]) == ARGV[1] then
              return redis.call('del', KEYS[1])
            end
            return 0""";

    private final RedissonClient redis;
    private final String keyPrefix;
    private final Duration lease;
    private final String owner = UUID.randomUUID().toString();
    private final Set<String> held = ConcurrentHashMap.newKeySet();

    public JobClaims(RedissonClient redis, String keyPrefix, Duration lease) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.lease = lease;
    }

    /** Claims the job for this worker; false when another owner holds it. */
    public boolean tryClaim(String jobId) {
        boolean won = run(CLAIM, jobId);
        if (won) {
            held.add(jobId);
        }
        return won;
    }

    /** Gives the claim up (the job's outcome is stored, or the job goes back unfinished). */
    public void release(String jobId) {
        held.remove(jobId);
        run(RELEASE, jobId);
    }

    /** Renews the lease of every claim this worker holds; a failure is retried at the next renewal. */
    public void renewAll() {
        for (String jobId : held) {
            run(RENEW, jobId);
        }
    }

    /** How often {@link #renewAll} must run. */
    public Duration renewInterval() {
        return lease.dividedBy(3);
    }

    /** The lease of a claim: how long a dead owner's claim keeps a job from others. */
    public Duration lease() {
        return lease;
    }

    private boolean run(String script, String jobId) {
        Object r = redis.getScript(StringCodec.INSTANCE).eval(keyPrefix + ":claim:" + jobId, RScript.Mode.READ_WRITE,
                script, RScript.ReturnType.LONG, List.of(keyPrefix + ":claim:" + jobId), owner,
                Long.toString(lease.toMillis()));
        return r instanceof Long l && l == 1L;
    }
}
