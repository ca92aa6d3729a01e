package dev.llmdispatch.dispatch.capacity;

import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.Limits;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.redisson.api.RPermitExpirableSemaphore;
import org.redisson.api.RRateLimiter;
import org.redisson.api.RateLimiterConfig;
import org.redisson.api.RateType;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One account's fleet-wide limits in Redis: an {@link RPermitExpirableSemaphore} for requests in flight
 * (each permit leased, so a crashed worker's permit comes back), an {@link RRateLimiter} (OVERALL, a
 * sliding log) for requests per window, and one for tokens per window. Every worker holds the same objects.
 */
final class AccountCapacity {

    private static final Logger log = LoggerFactory.getLogger(AccountCapacity.class);

    /** Why an account had no room. */
    enum Refusal { CONCURRENCY, REQUESTS, TOKENS }

    /** A concurrency permit id (null when the account has no concurrency limit), or the refusal. */
    record Grant(String permitId, Refusal refusal) {
        boolean granted() {
            return refusal == null;
        }
    }

    final String accountId;
    private final Limits limits;
    private final RPermitExpirableSemaphore inFlight;
    private final RRateLimiter requests;
    private final RRateLimiter tokens;
    private final long leaseMillis;

    AccountCapacity(RedissonClient redis, CapacitySettings settings, AccountSettings account, Duration callTimeout) {
        this.accountId = account.id();
        this.limits = account.limits();
        this.leaseMillis = callTimeout.plus(settings.leaseMargin()).toMillis();
        String base = settings.keyPrefix() + ":{" + account.id() + "}";
        if (limits.hasConcurrencyLimit()) {
            inFlight = redis.getPermitExpirableSemaphore(base + ":in-flight");
            if (!inFlight.trySetPermits(limits.concurrency()) && inFlight.getPermits() != limits.concurrency()) {
                log.warn("account {}: concurrency changed from {} to {}", accountId, inFlight.getPermits(),
                        limits.concurrency());
                inFlight.setPermits(limits.concurrency());
            }
        } else {
            inFlight = null;
        }
        requests = limits.hasRequestLimit()
                ? limiter(redis, base + ":requests", limits.requests(), limits.per().plus(settings.windowGuard()))
                : null;
        tokens = limits.tokens() != null
                ? limiter(redis, base + ":tokens", limits.tokens(), limits.tokensPer().plus(settings.windowGuard()))
                : null;
    }

    private RRateLimiter limiter(RedissonClient redis, String key, long rate, Duration window) {
        RRateLimiter limiter = redis.getRateLimiter(key);
        if (!limiter.trySetRate(RateType.OVERALL, rate, window)) {
            RateLimiterConfig current = limiter.getConfig();
            if (current.getRate() != rate || current.getRateInterval() != window.toMillis()
                    || current.getRateType() != RateType.OVERALL) {
                log.warn("account {}: {} changed from {} per {} ms to {} per {}: the window starts afresh", accountId,
                        key, current.getRate(), current.getRateInterval(), rate, window);
                limiter.setRate(RateType.OVERALL, rate, window);
            }
        }
        return limiter;
    }

    /**
     * Takes room for one request without waiting: a concurrency permit first, then a request permit (a
     * refused request permit gives the concurrency permit back), then the tokens.
     */
    Grant tryAcquire(long estimatedTokens) {
        String permit = null;
        if (inFlight != null) {
            try {
                permit = inFlight.tryAcquire(0, leaseMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Grant(null, Refusal.CONCURRENCY);
            }
            if (permit == null) {
                return new Grant(null, Refusal.CONCURRENCY);
            }
        }
        Refusal refusal = takeWindowRoom(estimatedTokens);
        if (refusal != null) {
            releasePermit(permit);
            return new Grant(null, refusal);
        }
        return new Grant(permit, null);
    }

    /**
     * Takes room for one more request on a concurrency permit already held (a permit handed from a finished call
     * to a waiting job without going back to Redis): a request permit, then the tokens, and a fresh lease. On a
     * refusal the permit is still held.
     */
    Grant reuse(String permit, long estimatedTokens) {
        Refusal refusal = takeWindowRoom(estimatedTokens);
        if (refusal != null) {
            return new Grant(null, refusal);
        }
        // the old lease still has at least half the margin to run: the renewal lands long before it ends
        inFlight.updateLeaseTimeAsync(permit, leaseMillis, TimeUnit.MILLISECONDS).whenComplete((renewed, e) -> {
            if (e != null || !Boolean.TRUE.equals(renewed)) {
                log.warn("account {}: lease of a handed-over in-flight permit not renewed: {}", accountId,
                        e != null ? e.toString() : "permit expired");
            }
        });
        return new Grant(permit, null);
    }

    /** A request permit, then the tokens; null when both were taken. */
    private Refusal takeWindowRoom(long estimatedTokens) {
        if (requests != null && !requests.tryAcquire()) {
            return Refusal.REQUESTS;
        }
        if (tokens != null && estimatedTokens > 0 && !tokens.tryAcquire(Math.min(estimatedTokens, limits.tokens()))) {
            // the request permit is spent: the provider would have counted the request anyway
            return Refusal.TOKENS;
        }
        return null;
    }

    /** How long a concurrency permit is leased for. */
    long leaseMillis() {
        return leaseMillis;
    }

    boolean hasWindowLimits() {
        return requests != null || tokens != null;
    }

    void releasePermit(String permit) {
        if (permit != null && !inFlight.tryRelease(permit)) {
            log.warn("account {}: in-flight permit expired before release (call longer than its lease of {} ms)",
                    accountId, leaseMillis);
        }
    }

    /** Requests in flight across the fleet (0 without a concurrency limit). */
    int inFlight() {
        return inFlight == null ? 0 : inFlight.acquiredPermits();
    }

    int concurrencyLimit() {
        return limits.hasConcurrencyLimit() ? limits.concurrency() : Integer.MAX_VALUE;
    }

    /** Permits free now (expired leases count as free once Redis notices them). */
    int availablePermits() {
        return inFlight == null ? Integer.MAX_VALUE : inFlight.availablePermits();
    }

    /** Tokens left in the account's token window (Long.MAX_VALUE without a token quota). */
    long tokenPermitsLeft() {
        return tokens == null ? Long.MAX_VALUE : tokens.availablePermits();
    }

    Long tokenQuota() {
        return limits.tokens();
    }

    long requestPermitsLeft() {
        return requests == null ? Long.MAX_VALUE : requests.availablePermits();
    }
}
