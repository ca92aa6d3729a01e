package dev.llmdispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything the dashboard page draws, in one answer ({@code GET /admin/dashboard}). A part that cannot be read (Kafka
 * unreachable, say) is absent and named in {@code errors}, so the page still shows the rest.
 *
 * @param at when the answer was made
 * @param status the fleet's status
 * @param deadLettersHeld dead letters on the dead-letter topic, written and not purged
 * @param traffic the fleet's traffic over the last minutes
 * @param alertThresholds the alert rules' thresholds, to draw against
 * @param errors per part left out, why
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DashboardReport(
        Instant at,
        StatusReport status,
        Long deadLettersHeld,
        Traffic traffic,
        AlertThresholds alertThresholds,
        Map<String, String> errors) {

    /** Fleet-wide traffic in buckets of {@code bucketMs}, oldest first. */
    public record Traffic(long bucketMs, List<Bucket> buckets) {}

    /**
     * One bucket of fleet-wide traffic. Means are -1 when nothing finished in the bucket.
     *
     * @param t the bucket's start (epoch milliseconds)
     */
    public record Bucket(
            long t,
            long succeeded,
            long failed,
            long deadLettered,
            long jobMeanMs,
            long jobMaxMs,
            long calls,
            long callErrors,
            long callMeanMs,
            long callMaxMs) {}

    /** Failure rate (0..1) and mean latency above which the alerts fire. */
    public record AlertThresholds(double failureRate, long meanLatencyMs) {}
}
