package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.Priority;

/** Takes a job to its outcome: {@link JobDispatcher} by calling providers, {@code CachingDispatch} from the cache first. */
public interface Dispatch {

    DispatchOutcome dispatch(Job job, Priority priority) throws InterruptedException;
}
