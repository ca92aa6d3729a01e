package dev.llmdispatch.dispatch.config;

import java.time.Duration;

/**
 * How failures are retried, switched around and remembered ({@code dispatch.resilience.*}).
 *
 * @param attemptsPerAccount  calls one job may make to one account (retries on the same account included)
 * @param backoffInitial      first retry delay on the same account; doubles each time, with ±50% jitter
 * @param backoffMax          the longest retry delay
 * @param retryAfterCap       a provider's Retry-After is honoured up to this
 * @param rateLimitCooldown   how long an account rests after a 429 without Retry-After
 * @param quotaCooldown       how long an account rests after its quota is spent
 * @param disableFor          how long an account with a refused key (401/403) is disabled fleet-wide
 * @param circuitFailures     consecutive failures that open an account's circuit
 * @param circuitOpenFor      how long a worker's own circuit stays open before it lets a trial call through
 *                            (the fleet-wide block lasts until a health probe succeeds)
 * @param recoveryWait        when every account a job can use is blocked, how long it waits for a probe to
 *                            bring one back before it fails (ALL_PROVIDERS_FAILED, kept as a dead letter)
 */
public record ResilienceSettings(
        Integer attemptsPerAccount,
        Duration backoffInitial,
        Duration backoffMax,
        Duration retryAfterCap,
        Duration rateLimitCooldown,
        Duration quotaCooldown,
        Duration disableFor,
        Integer circuitFailures,
        Duration circuitOpenFor,
        Duration recoveryWait) {

    public static final ResilienceSettings DEFAULTS =
            new ResilienceSettings(null, null, null, null, null, null, null, null, null, null);

    public ResilienceSettings {
        attemptsPerAccount = attemptsPerAccount == null ? 3 : attemptsPerAccount;
        backoffInitial = backoffInitial == null ? Duration.ofMillis(200) : backoffInitial;
        backoffMax = backoffMax == null ? Duration.ofSeconds(5) : backoffMax;
        retryAfterCap = retryAfterCap == null ? Duration.ofSeconds(30) : retryAfterCap;
        rateLimitCooldown = rateLimitCooldown == null ? Duration.ofSeconds(1) : rateLimitCooldown;
        quotaCooldown = quotaCooldown == null ? Duration.ofMinutes(10) : quotaCooldown;
        disableFor = disableFor == null ? Duration.ofHours(1) : disableFor;
        circuitFailures = circuitFailures == null ? 5 : circuitFailures;
        circuitOpenFor = circuitOpenFor == null ? Duration.ofSeconds(30) : circuitOpenFor;
        recoveryWait = recoveryWait == null ? Duration.ofSeconds(10) : recoveryWait;
        if (attemptsPerAccount < 1) {
            throw new IllegalArgumentException(
                    "dispatch.resilience.attempts-per-account must be >= 1, but was " + attemptsPerAccount);
        }
        if (circuitFailures < 1) {
            throw new IllegalArgumentException(
                    "dispatch.resilience.circuit-failures must be >= 1, but was " + circuitFailures);
        }
        for (Duration d : new Duration[] {
            backoffInitial,
            backoffMax,
            retryAfterCap,
            rateLimitCooldown,
            quotaCooldown,
            disableFor,
            circuitOpenFor,
            recoveryWait
        }) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("dispatch.resilience durations must be > 0, but one was " + d);
            }
        }
    }
}
