package dev.llmdispatch.worker.publish;

import dev.llmdispatch.contract.JobResult;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Terminal outcomes by job id, shared by the fleet, each with the replay it answered: a job id already answered is not
 * sent to a provider again, whether it comes back through a producer's retry or a redelivery (a crash, a rebalance, a
 * result that could not be written); its stored outcome is published instead, whatever its deadline says now. A
 * replay from the dead-letter topic (a higher {@code replay-count}) runs a job that did not succeed again; a success
 * stands for every replay. {@link RedisAnswerStore} keeps them for the fleet; {@link #inMemory()} for tests.
 */
public interface AnswerStore {

    Duration DEFAULT_KEEP = Duration.ofDays(7);

    /**
     * The stored outcome that answers this delivery of the job: a success, or any outcome of the same replay (or a
     * later one); empty when the job must run.
     */
    Optional<JobResult> find(String jobId, int replayCount);

    /** Remembers a job's terminal outcome for the replay it answers, before it is published. */
    void remember(JobResult result, int replayCount);

    /** Whether an outcome stored for {@code answeredReplay} answers a delivery of {@code replayCount}. */
    static boolean answers(JobResult stored, int answeredReplay, int replayCount) {
        return stored.succeeded() || answeredReplay >= replayCount;
    }

    /** Outcomes kept in this JVM, never expiring. */
    static AnswerStore inMemory() {
        record Stored(JobResult result, int replay) {}
        Map<String, Stored> stored = new ConcurrentHashMap<>();
        return new AnswerStore() {
            @Override
            public Optional<JobResult> find(String jobId, int replayCount) {
                Stored s = stored.get(jobId);
                return s != null && answers(s.result(), s.replay(), replayCount)
                        ? Optional.of(s.result())
                        : Optional.empty();
            }

            @Override
            public void remember(JobResult result, int replayCount) {
                stored.put(result.id(), new Stored(result, replayCount));
            }
        };
    }
}
