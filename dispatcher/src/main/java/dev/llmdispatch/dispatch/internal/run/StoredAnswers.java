package dev.llmdispatch.dispatch.internal.run;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Terminal outcomes by job id, shared by the fleet ({@code JobClaims} keeps them in the {@code JobLedger} beside the job's claim), each
 * with the replay it answered: a job id already answered is not sent to a provider again, whether it comes back
 * through a producer's retry or a redelivery (a crash, a rebalance, a result that could not be written); its stored
 * outcome is published instead, whatever its deadline says now. A replay from the dead-letter topic (a higher
 * {@code replay-count}) runs a job that did not succeed again; a success stands for every replay.
 *
 * <p>Stored as {@code replayCount|result JSON}; a bare result JSON (stored before outcomes carried their replay) is a
 * success's.
 */
public final class StoredAnswers {

    /** How long an outcome is kept. */
    public static final Duration KEEP = Duration.ofDays(7);

    private StoredAnswers() {}

    /** What is stored for an outcome that answers this replay of its job. */
    public static String encode(JobResult result, int replayCount) {
        return replayCount + "|" + JobCodec.toJson(result);
    }

    /**
     * The stored outcome that answers this delivery of the job: a success, or any outcome of the same replay (or a
     * later one); empty when nothing is stored ({@code null}) or the job must run.
     */
    public static Optional<JobResult> answering(String stored, int replayCount) {
        if (stored == null || stored.isEmpty()) {
            return Optional.empty();
        }
        int bar = stored.indexOf('|');
        boolean tagged = bar > 0 && bar < 11 && stored.charAt(0) != '{';
        int answeredReplay = tagged ? Integer.parseInt(stored.substring(0, bar)) : 0;
        JobResult result =
                JobCodec.readResult((tagged ? stored.substring(bar + 1) : stored).getBytes(StandardCharsets.UTF_8));
        return result.succeeded() || answeredReplay >= replayCount ? Optional.of(result) : Optional.empty();
    }
}
