package dev.llmdispatch.store.redis;

import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.JobLedger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims and stored outcomes in Redis: a job's claim, outcome and failed calls share its hash slot ({@code {jobId}}),
 * so that one script reads or writes them together, on a Cluster too.
 */
final class RedisJobLedger implements JobLedger {

    private static final Logger log = LoggerFactory.getLogger(RedisJobLedger.class);

    /**
     * KEYS: claim, answer, attempts; ARGV: token, lease ms. Claims the job when free; answers {claimed (1/0), the
     * stored outcome ('' for none), and, claimed, the job's earlier failed attempts}.
     */
    private static final String START = RedisRoundTrips.script("claim_start");
    /** KEYS: claim, answer, attempts; ARGV: token, outcome, kept ms. */
    private static final String FINISH = RedisRoundTrips.script("claim_finish");
    /** KEYS: claim; ARGV: token, lease ms. 1 when renewed. */
    private static final String RENEW = RedisRoundTrips.script("claim_renew");
    /** KEYS: claim; ARGV: token. 1 when given up. */
    private static final String RELEASE = RedisRoundTrips.script("claim_release");

    private final RedissonClient redis;
    private final RedisKeys keys;

    RedisJobLedger(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
    }

    /** The job's claim, stored outcome and attempts: one hash slot (the job id's). */
    private List<Object> keys(String jobId) {
        return List.of(keys.claim(jobId), keys.answer(jobId), keys.attempts(jobId));
    }

    @Override
    public Found start(String jobId, String token, Duration lease) {
        List<Object> r = redis.getScript(StringCodec.INSTANCE)
                .eval(
                        keys.claim(jobId),
                        RScript.Mode.READ_WRITE,
                        START,
                        RScript.ReturnType.LIST,
                        keys(jobId),
                        token,
                        Long.toString(lease.toMillis()));
        String stored = String.valueOf(r.get(1));
        List<JobResult.Attempt> before = new ArrayList<>();
        for (Object json : r.subList(2, r.size())) {
            try {
                before.add(AttemptLog.decode(String.valueOf(json)));
            } catch (RuntimeException e) {
                // the claim is taken by now: an unreadable entry must not fail the start, only count for nothing
                log.warn("job {}: a logged failed call could not be read, left out: {}", jobId, e.toString());
            }
        }
        return new Found("1".equals(String.valueOf(r.get(0))), stored.isEmpty() ? null : stored, before);
    }

    @Override
    public void finish(String jobId, String token, String outcome, Duration keep) {
        redis.getScript(StringCodec.INSTANCE)
                .eval(
                        keys.claim(jobId),
                        RScript.Mode.READ_WRITE,
                        FINISH,
                        RScript.ReturnType.LONG,
                        keys(jobId),
                        token,
                        outcome,
                        Long.toString(keep.toMillis()));
    }

    @Override
    public boolean release(String jobId, String token) {
        return one(RELEASE, jobId, token, Duration.ZERO);
    }

    /**
     * One pipelined round trip for all of them (jobs waiting for capacity hold their claims too: one call each would
     * grow with the backlog). A batch that fails (e.g. NOSCRIPT after a SCRIPT FLUSH, which a batch does not recover
     * from) is done again one by one, which does.
     */
    @Override
    public List<Renewal> renew(List<Held> claims, Duration lease) {
        if (claims.isEmpty()) {
            return List.of();
        }
        RBatch batch = redis.createBatch();
        List<RFuture<Long>> renewed = new ArrayList<>(claims.size());
        for (Held claim : claims) {
            String key = keys.claim(claim.jobId());
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
            log.warn(
                    "renewing {} claims in one batch failed ({}); renewing them one by one",
                    claims.size(),
                    e.toString());
            return claims.stream().map(c -> renewOne(c, lease)).toList();
        }
        List<Renewal> out = new ArrayList<>(claims.size());
        for (RFuture<Long> r : renewed) {
            Long n = r.toCompletableFuture().getNow(0L);
            out.add(n != null && n == 1L ? Renewal.RENEWED : Renewal.GONE);
        }
        return out;
    }

    private Renewal renewOne(Held claim, Duration lease) {
        try {
            return one(RENEW, claim.jobId(), claim.token(), lease) ? Renewal.RENEWED : Renewal.GONE;
        } catch (RuntimeException e) {
            log.warn("job {}: renewing its claim failed: {}", claim.jobId(), e.toString());
            return Renewal.FAILED;
        }
    }

    private boolean one(String script, String jobId, String token, Duration lease) {
        String key = keys.claim(jobId);
        Object r = redis.getScript(StringCodec.INSTANCE)
                .eval(
                        key,
                        RScript.Mode.READ_WRITE,
                        script,
                        RScript.ReturnType.LONG,
                        List.of(key),
                        token,
                        Long.toString(lease.toMillis()));
        return r instanceof Long l && l == 1L;
    }
}
