package dev.llmdispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The fleet as one worker sees it ({@code GET /admin/status}, what {@code llm-dispatch status} prints).
 *
 * @param emergency every provider is down and the workers have stopped consuming
 * @param accounts per account its limits and live use across the fleet
 * @param queueLag records not yet committed by the workers' group, per priority; absent when Kafka cannot be read
 * @param queueLagError why the queue lag is absent
 * @param thisWorker the answering worker's own queues
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StatusReport(
        boolean emergency,
        List<AccountStatus> accounts,
        Map<String, Long> queueLag,
        String queueLagError,
        WorkerLoad thisWorker,
        List<TenantUsage> tenants) {

    public StatusReport {
        accounts = List.copyOf(accounts);
        tenants = tenants == null ? List.of() : List.copyOf(tenants);
    }

    /**
     * One tenant: its fair-share weight, its budgets (absent: none) and what it used of them, fleet-wide, this
     * minute and today (UTC); the use is absent when the budget store could not be read.
     */
    public record TenantUsage(
            String tenant,
            int weight,
            Long requestsPerMinute,
            Long requestsPerDay,
            Long tokensPerMinute,
            Long tokensPerDay,
            Long requestsThisMinute,
            Long requestsToday,
            Long tokensThisMinute,
            Long tokensToday) {}

    /**
     * One account: its configured limits and, when enabled, its live use across the fleet.
     *
     * @param requests requests allowed per {@code per}; absent without a request limit
     * @param per the request window as an ISO-8601 duration ({@code PT1M})
     * @param concurrency calls allowed in flight at once; absent without a concurrency limit
     * @param adaptiveLimit the fleet's adaptive limit on calls in flight, when overload has cut it below {@code
     *     concurrency}
     * @param windowUsed requests admitted in the current window, fleet-wide
     * @param inFlight calls in flight now, fleet-wide
     * @param limitStateRebuildingMs how long admission still waits after the limit state vanished from Redis
     * @param tokens tokens allowed per {@code tokensPer}; absent without a token quota
     * @param tokensUsed tokens charged in the current quota period
     * @param cooldown why and until when the account takes no calls; absent when it takes them
     * @param circuit this worker's circuit breaker state ({@code CLOSED}, {@code OPEN}, {@code HALF_OPEN})
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AccountStatus(
            String account,
            String provider,
            boolean enabled,
            Integer requests,
            String per,
            Integer concurrency,
            Integer adaptiveLimit,
            Long windowUsed,
            Integer inFlight,
            Long limitStateRebuildingMs,
            Long tokens,
            String tokensPer,
            Long tokensUsed,
            Cooldown cooldown,
            String circuit) {}

    /** An account taking no calls until {@code until}, for {@code reason}. */
    public record Cooldown(String reason, Instant until) {}

    /**
     * The answering worker's own queues.
     *
     * @param buffered jobs polled and waiting for a slot, per priority
     * @param inFlight jobs running on this worker
     * @param waitingForCapacity jobs of this worker waiting for a provider's permit
     */
    public record WorkerLoad(Map<String, Integer> buffered, int inFlight, int waitingForCapacity) {}
}
