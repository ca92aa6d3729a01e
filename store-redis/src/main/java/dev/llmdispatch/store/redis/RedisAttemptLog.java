package dev.llmdispatch.store.redis;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import java.util.List;
import org.redisson.api.RList;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The attempt log in Redis: one list of JSON attempts per job, {@code <prefix>:attempts:{<jobId>}}. */
final class RedisAttemptLog implements AttemptLog {

    private static final Logger log = LoggerFactory.getLogger(RedisAttemptLog.class);

    private final RedissonClient redis;
    private final RedisKeys keys;

    RedisAttemptLog(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
    }

    private RList<String> list(String jobId) {
        return redis.getList(keys.attempts(jobId), StringCodec.INSTANCE);
    }

    @Override
    public List<JobResult.Attempt> load(String jobId) {
        return list(jobId).readAll().stream().map(AttemptLog::decode).toList();
    }

    /**
     * Waits for the append (one round trip, on a failed call's path only): two appends sent without waiting may go
     * out on two of the client's connections and land in the other order. The log is best effort: an append that
     * fails is logged, and costs only that a job moved meanwhile starts that call's budget afresh.
     */
    @Override
    public void failed(String jobId, JobResult.Attempt attempt) {
        RList<String> list = list(jobId);
        try {
            list.add(JobCodec.toJson(attempt));
            list.expireAsync(KEEP);
        } catch (RuntimeException e) {
            log.warn("job {}: its failed call on {} could not be logged: {}", jobId, attempt.account(), e.toString());
        }
    }

    @Override
    public void ended(String jobId) {
        list(jobId).deleteAsync();
    }
}
