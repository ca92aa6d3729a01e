package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Tier;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * What dispatching a job came to, before the worker adds what only it knows (priority, queue time,
 * metadata).
 *
 * @param response   the provider's body as received, when SUCCEEDED
 * @param attempts   every attempt that did not produce the response
 * @param providerMs time spent in provider calls, all attempts
 * @param waitMs     time spent waiting for capacity, all attempts
 * @param cached     answered from the response cache, without a provider call
 */
public record DispatchOutcome(
        JobStatus status,
        Tier tier,
        String provider,
        String account,
        String model,
        JsonNode response,
        JobResult.JobError error,
        List<JobResult.Attempt> attempts,
        long providerMs,
        long waitMs,
        boolean cached) {

    public DispatchOutcome {
        attempts = List.copyOf(attempts);
    }

    public static DispatchOutcome failed(
            Tier tier,
            ErrorCode code,
            String message,
            boolean retryable,
            List<JobResult.Attempt> attempts,
            long providerMs,
            long waitMs) {
        JobStatus status = code == ErrorCode.EXPIRED ? JobStatus.EXPIRED : JobStatus.FAILED;
        return new DispatchOutcome(
                status,
                tier,
                null,
                null,
                null,
                null,
                new JobResult.JobError(code, message, retryable),
                attempts,
                providerMs,
                waitMs,
                false);
    }
}
