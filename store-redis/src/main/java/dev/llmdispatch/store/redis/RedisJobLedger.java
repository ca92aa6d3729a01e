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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims and stored outcomes in Redis: a job's claim, outcome and failed calls share its hash slot ({@code {jobId}}),
 * so that one script reads or writes them together, on a Cluster too.
 */
final class RedisJobLedger implements JobLedger {

    private static final Logger log = LoggerFactory.getLogger(RedisJobLedger.class);

    /** {@code claim_start.lua}: KEYS claim, answer, attempts; ARGV token, lease ms. */
    record StartArgs(RedisKeys names, String jobId, String token, Duration lease) implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(names.claim(jobId), names.answer(jobId), names.attempts(jobId));
        }

        @Override
        public Object[] argv() {
            return new Object[] {token, Long.toString(lease.toMillis())};
        }
    }

    /** {@code claim_finish.lua}: KEYS claim, answer, attempts; ARGV token, outcome, kept ms. */
    record FinishArgs(RedisKeys names, String jobId, String token, String outcome, Duration keep)
            implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(names.claim(jobId), names.answer(jobId), names.attempts(jobId));
        }

        @Override
        public Object[] argv() {
            return new Object[] {token, outcome, Long.toString(keep.toMillis())};
        }
    }

    /** {@code claim_renew.lua} and {@code claim_release.lua}: KEYS claim; ARGV token, lease ms (renew only). */
    record TokenArgs(RedisKeys names, String jobId, String token, Duration lease) implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(names.claim(jobId));
        }

        @Override
        public Object[] argv() {
            return new Object[] {token, Long.toString(lease.toMillis())};
        }
    }

    /** Claims the job when free; answers {claimed (1/0), the stored outcome ('' for none), claimed: its attempts}. */
    private static final LuaScript<StartArgs> START = LuaScript.named("claim_start");
    /** Stores the outcome, gives the claim up if still the token's, drops the attempts. */
    private static final LuaScript<FinishArgs> FINISH = LuaScript.named("claim_finish");
    /** 1 when the claim was the token's and is renewed. */
    private static final LuaScript<TokenArgs> RENEW = LuaScript.named("claim_renew");
    /** 1 when the claim was the token's and is given up. */
    private static final LuaScript<TokenArgs> RELEASE = LuaScript.named("claim_release");

    private final RedissonClient redis;
    private final RedisKeys keys;

    RedisJobLedger(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
    }

    @Override
    public Found start(String jobId, String token, Duration lease) {
        List<Object> r = START.eval(
                redis, RScript.Mode.READ_WRITE, RScript.ReturnType.LIST, new StartArgs(keys, jobId, token, lease));
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
        FINISH.eval(
                redis,
                RScript.Mode.READ_WRITE,
                RScript.ReturnType.LONG,
                new FinishArgs(keys, jobId, token, outcome, keep));
    }

    @Override
    public boolean release(String jobId, String token) {
        return one(RELEASE, new TokenArgs(keys, jobId, token, Duration.ZERO));
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
            renewed.add(RENEW.evalAsync(
                    batch,
                    RScript.Mode.READ_WRITE,
                    RScript.ReturnType.LONG,
                    new TokenArgs(keys, claim.jobId(), claim.token(), lease)));
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
            return one(RENEW, new TokenArgs(keys, claim.jobId(), claim.token(), lease))
                    ? Renewal.RENEWED
                    : Renewal.GONE;
        } catch (RuntimeException e) {
            log.warn("job {}: renewing its claim failed: {}", claim.jobId(), e.toString());
            return Renewal.FAILED;
        }
    }

    private boolean one(LuaScript<TokenArgs> script, TokenArgs args) {
        Object r = script.eval(redis, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG, args);
        return r instanceof Long l && l == 1L;
    }
}
