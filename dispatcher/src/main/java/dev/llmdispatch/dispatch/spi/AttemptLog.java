package dev.llmdispatch.dispatch.spi;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The failed provider calls of jobs still running, in Redis, so that a job moved to another worker (its partition
 * reassigned while it waited between attempts) goes on with the attempts it has left, not a fresh budget. Written
 * once per failed call, in order, read once when a job starts, removed when it ends; kept at most
 * {@link #KEEP} after the last failure.
 */
public interface AttemptLog {

    Duration KEEP = Duration.ofHours(1);

    /** The job's failed calls so far, oldest first (empty for a job never tried). */
    List<JobResult.Attempt> load(String jobId);

    /** One more failed call. */
    void failed(String jobId, JobResult.Attempt attempt);

    /** The job ended: its calls are in its result. */
    void ended(String jobId);

    /** One failed call as kept in Redis (JSON). */
    static JobResult.Attempt decode(String json) {
        return JobCodec.read(json.getBytes(StandardCharsets.UTF_8), JobResult.Attempt.class);
    }

    /** Remembers nothing: each run of a job starts afresh. */
    AttemptLog NONE = new AttemptLog() {
        @Override
        public List<JobResult.Attempt> load(String jobId) {
            return List.of();
        }

        @Override
        public void failed(String jobId, JobResult.Attempt attempt) {}

        @Override
        public void ended(String jobId) {}
    };

    /** Attempts kept in this JVM (never expired: each job's are removed when it ends). */
    static AttemptLog inMemory() {
        Map<String, List<JobResult.Attempt>> byJob = new ConcurrentHashMap<>();
        return new AttemptLog() {
            @Override
            public List<JobResult.Attempt> load(String jobId) {
                List<JobResult.Attempt> attempts = byJob.get(jobId);
                return attempts == null ? List.of() : List.copyOf(attempts);
            }

            @Override
            public void failed(String jobId, JobResult.Attempt attempt) {
                byJob.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(attempt);
            }

            @Override
            public void ended(String jobId) {
                byJob.remove(jobId);
            }
        };
    }
}
