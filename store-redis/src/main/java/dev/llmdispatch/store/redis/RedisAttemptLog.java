package dev.llmdispatch.store.redis;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
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
    /** Per job with a write under way: its last write. */
    private final Map<String, CompletableFuture<?>> tails = new ConcurrentHashMap<>();

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
     * Appends without waiting, in order: a job's appends are chained, each sent when the one before has landed (two
     * sent at once may go out on two of the client's connections and land in the other order). The log is best
     * effort: an append that fails is logged, and costs only that a job moved meanwhile starts that call afresh.
     */
    @Override
    public void failed(String jobId, JobResult.Attempt attempt) {
        String json = JobCodec.toJson(attempt);
        RList<String> list = list(jobId);
        after(
                jobId,
                () -> list.addAsync(json)
                        .thenCompose(added -> list.expireAsync(KEEP))
                        .exceptionally(e -> {
                            log.warn(
                                    "job {}: its failed call on {} could not be logged: {}",
                                    jobId,
                                    attempt.account(),
                                    e.toString());
                            return false;
                        }));
    }

    /** Runs {@code next} once the job's writes sent before it have landed, and makes it the job's last write. */
    private void after(String jobId, Supplier<CompletionStage<?>> next) {
        CompletableFuture<?>[] mine = new CompletableFuture<?>[1];
        tails.compute(jobId, (id, tail) -> {
            CompletableFuture<?> before = tail == null ? CompletableFuture.completedFuture(null) : tail;
            mine[0] = before.handle((r, e) -> null).thenCompose(x -> next.get()).toCompletableFuture();
            return mine[0];
        });
        mine[0].whenComplete((r, e) -> tails.remove(jobId, mine[0])); // the last write landed: nothing to wait for
    }

    /** Removes the job's log once its appends have landed (else an append could outlive the removal). */
    @Override
    public void ended(String jobId) {
        RList<String> list = list(jobId);
        after(jobId, list::deleteAsync);
    }
}
