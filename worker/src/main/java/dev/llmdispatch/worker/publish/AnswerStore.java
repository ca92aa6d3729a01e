package dev.llmdispatch.worker.publish;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import java.time.Duration;
import java.util.Optional;
import org.redisson.api.RBucket;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * Successful answers by job id, shared by the fleet (Redis, with an expiry): a job id already answered is not
 * sent to a provider again, whether it comes back through a replay, a producer's retry or a redelivery.
 */
public final class AnswerStore {

    public static final Duration DEFAULT_KEEP = Duration.ofDays(7);

    private final RedissonClient redis;
    private final String keyPrefix;
    private final Duration keep;

    public AnswerStore(RedissonClient redis, String keyPrefix, Duration keep) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.keep = keep;
    }

    public Optional<JobResult> find(String jobId) {
        String json = bucket(jobId).get();
        return json == null ? Optional.empty() : Optional.of(JobCodec.readResult(json.getBytes(
                java.nio.charset.StandardCharsets.UTF_8)));
    }

    public void remember(JobResult result) {
        if (result.succeeded()) {
            bucket(result.id()).set(JobCodec.toJson(result), keep);
        }
    }

    private RBucket<String> bucket(String jobId) {
        return redis.getBucket(keyPrefix + ":answer:" + jobId, StringCodec.INSTANCE);
    }
}
