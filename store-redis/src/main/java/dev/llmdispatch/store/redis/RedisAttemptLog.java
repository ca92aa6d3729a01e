package dev.llmdispatch.store.redis;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import java.util.List;
import org.redisson.api.RList;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/** The attempt log in Redis: one list of JSON attempts per job, {@code <prefix>:attempts:{<jobId>}}. */
final class RedisAttemptLog implements AttemptLog {

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

    @Override
    public void failed(String jobId, JobResult.Attempt attempt) {
        RList<String> list = list(jobId);
        list.addAsync(JobCodec.toJson(attempt)).thenCompose(added -> list.expireAsync(KEEP));
    }

    @Override
    public void ended(String jobId) {
        list(jobId).deleteAsync();
    }
}
