package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.internal.JobDispatcher;
import java.util.List;

/** Takes a job to its outcome: {@link JobDispatcher} by calling providers, {@code CachingDispatch} from the cache first. */
public interface Dispatch {

    DispatchOutcome dispatch(Job job, Priority priority) throws InterruptedException;

    /**
     * As {@link #dispatch(Job, Priority)}, the job's failed calls so far ({@code before}) already known, read with its
     * claim in the same round trip, so they are not read again.
     */
    default DispatchOutcome dispatch(Job job, Priority priority, List<JobResult.Attempt> before)
            throws InterruptedException {
        return dispatch(job, priority);
    }
}
