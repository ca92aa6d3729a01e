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
 * Terminal outcomes by job id, shared by the fleet (Redis, with an expiry), each with the replay it answered: a job
 * id already answered is not sent to a provider again, whether it comes back through a producer's retry or a
 * redelivery (a crash, a rebalance, a result that could not be written); its stored outcome is published instead,
 * whatever its deadline says now. A replay from the dead-letter topic (a higher {@code replay-count}) runs a job that
 * did not succeed again; a success stands for every replay.
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

    /**
     * The stored outcome that answers this delivery of the job: a success, or any outcome of the same replay (or a
     * later one); empty when the job must run.
     */
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
        return result.succeeded() || answeredReplay >= replayCount ? Optional.of(result) : Optional.empty();
    }

    /** Remembers a job's terminal outcome for the replay it answers, before it is published. */
    public void remember(JobResult result, int replayCount) {
        bucket(result.id()).set(replayCount + "|" + JobCodec.toJson(result), keep);
    }

    private RBucket<String> bucket(String jobId) {
        return redis.getBucket(RedisKeys.of(keyPrefix).answer(jobId), StringCodec.INSTANCE);
    }
}
