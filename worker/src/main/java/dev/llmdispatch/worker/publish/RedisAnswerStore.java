package dev.llmdispatch.worker.publish;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.RedisKeys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.redisson.api.RBucket;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The fleet's {@link AnswerStore}: one Redis string per job id ({@code replayCount|result JSON}), expiring after
 * {@code keep}.
 */
public final class RedisAnswerStore implements AnswerStore {

    private final RedissonClient redis;
    private final String keyPrefix;
    private final Duration keep;

    public RedisAnswerStore(RedissonClient redis, String keyPrefix, Duration keep) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.keep = keep;
    }

    @Override
    public Optional<JobResult> find(String jobId, int replayCount) {
        String stored = bucket(jobId).get();
        if (stored == null) {
            return Optional.empty();
        }
        // "replayCount|result json"; a bare result json (stored before outcomes carried their replay) is a success
        int bar = stored.indexOf('|');
        boolean tagged = bar > 0 && bar < 11 && stored.charAt(0) != '{';
        int answeredReplay = tagged ? Integer.parseInt(stored.substring(0, bar)) : 0;
        JobResult result =
                JobCodec.readResult((tagged ? stored.substring(bar + 1) : stored).getBytes(StandardCharsets.UTF_8));
        return AnswerStore.answers(result, answeredReplay, replayCount) ? Optional.of(result) : Optional.empty();
    }

    @Override
    public void remember(JobResult result, int replayCount) {
        bucket(result.id()).set(replayCount + "|" + JobCodec.toJson(result), keep);
    }

    private RBucket<String> bucket(String jobId) {
        return redis.getBucket(RedisKeys.of(keyPrefix).answer(jobId), StringCodec.INSTANCE);
    }
}
