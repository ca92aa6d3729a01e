package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;

/** Told of every provider call a job makes (metrics, the request log). Implementations must not block. */
public interface AttemptListener {

    /**
     * One provider call, as it ended.
     *
     * @param status      the HTTP status, or 0 when no answer came
     * @param outcome     {@code ok}, or the error name of the attempt (server_error, rate_limited, ...)
     * @param attempt     1 for the job's first call, 2 for its second ...
     * @param millis      the call's time at the provider
     * @param waitMillis  what the call waited for capacity before it
     * @param totalTokens {@code usage.total_tokens} of a successful answer, else 0
     */
    record AttemptEvent(
            Job job,
            Priority priority,
            Tier tier,
            String account,
            String model,
            int status,
            String outcome,
            int attempt,
            long millis,
            long waitMillis,
            long totalTokens) {

        /** Whether the provider answered the call with a usable answer. */
        public boolean ok() {
            return "ok".equals(outcome);
        }
    }

    /** One provider call ended. */
    void attempted(AttemptEvent call);

    /**
     * A job's first request is about to leave: {@code overheadNanos} is the time since the dispatcher took the
     * job, less what it waited for capacity (routing, the capacity round trips, building the request).
     */
    default void dispatching(Job job, Priority priority, long overheadNanos) {}

    /**
     * A request was about to be written: its grant was {@code grantAgeNanos} old (at most); {@code sent} is false when
     * that was past the window guard and the request was held back for fresh capacity.
     */
    default void written(String account, long grantAgeNanos, boolean sent) {}

    /**
     * A request left: the HTTP client took its body {@code afterNanos} after it was let go (more than a few
     * milliseconds only when this JVM was starved in between).
     */
    default void left(String account, long afterNanos) {}

    AttemptListener NONE = call -> {};
}
