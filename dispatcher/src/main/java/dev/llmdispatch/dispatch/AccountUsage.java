package dev.llmdispatch.dispatch;

/**
 * An account's limits and its fleet-wide use at one moment, read from Redis in one call.
 *
 * @param concurrencyLimit calls allowed in flight at once, or null without a limit
 * @param requestLimit requests allowed per window, or null without a limit
 * @param tokenQuota tokens allowed per token window, or null without a quota
 * @param inFlight calls in flight across the fleet
 * @param requestsInWindow requests admitted in the current window
 * @param tokensInWindow tokens charged in the current token window
 * @param rebuildingMillis how long admission still waits after the limit state vanished from Redis (0: it is whole)
 * @param adaptiveLimit the fleet's adaptive concurrency limit as this worker last learned it (the concurrency limit
 *     while not cut), or null without a concurrency limit
 */
public record AccountUsage(
        Integer concurrencyLimit,
        Integer requestLimit,
        Long tokenQuota,
        long inFlight,
        long requestsInWindow,
        long tokensInWindow,
        long rebuildingMillis,
        Integer adaptiveLimit) {

    /** Free concurrency permits (Integer.MAX_VALUE without a limit). */
    public int availablePermits() {
        Integer limit = adaptiveLimit != null ? adaptiveLimit : concurrencyLimit;
        return limit == null ? Integer.MAX_VALUE : (int) Math.max(0, limit - inFlight);
    }

    /** Requests left in the current window (Long.MAX_VALUE without a limit). */
    public long requestsLeft() {
        return requestLimit == null ? Long.MAX_VALUE : Math.max(0, requestLimit - requestsInWindow);
    }

    /** Tokens left in the token window (Long.MAX_VALUE without a quota). */
    public long tokensLeft() {
        return tokenQuota == null ? Long.MAX_VALUE : Math.max(0, tokenQuota - tokensInWindow);
    }
}
