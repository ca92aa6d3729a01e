package dev.llmdispatch.dispatch.internal.resilience;

import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.dispatch.HealthEvents;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns attempt outcomes into account state: a Resilience4j circuit breaker per account (opens after
 * {@code circuitFailures} consecutive failures), mirrored fleet-wide by a {@link Cooldowns} block so every
 * worker stops at once, and blocks for 429s, spent quotas and refused keys.
 */
public final class AccountHealth {

    private static final Logger log = LoggerFactory.getLogger(AccountHealth.class);
    /** An open circuit's block lasts until a probe lifts it; this bounds it should no worker be left to probe. */
    private static final Duration OPEN_CIRCUIT_BLOCK = Duration.ofMinutes(10);

    private final CircuitBreakerRegistry circuits;
    private final Cooldowns cooldowns;
    private final ResilienceSettings settings;
    private final HealthEvents events;

    public AccountHealth(ResilienceSettings settings, Cooldowns cooldowns, HealthEvents events) {
        this.settings = settings;
        this.cooldowns = cooldowns;
        this.events = events;
        this.circuits = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.circuitFailures())
                .minimumNumberOfCalls(settings.circuitFailures())
                .failureRateThreshold(100)
                .waitDurationInOpenState(settings.circuitOpenFor())
                .permittedNumberOfCallsInHalfOpenState(1)
                .build());
    }

    /** Records what an attempt on the account came to. */
    public void record(String account, Outcome outcome, long millis) {
        CircuitBreaker circuit = circuits.circuitBreaker(account);
        if (circuit.getState() != CircuitBreaker.State.CLOSED && !cooldowns.isBlocked(account)) {
            // the fleet lifted the block (a probe succeeded somewhere): this worker's circuit follows
            circuit.transitionToClosedState();
        }
        switch (outcome) {
            case Outcome.Success s -> circuit.onSuccess(millis, TimeUnit.MILLISECONDS);
            // the job's own fault says nothing about the account's health
            case Outcome.Rejected r -> circuit.onSuccess(millis, TimeUnit.MILLISECONDS);
            case Outcome.NextProvider n -> circuit.onSuccess(millis, TimeUnit.MILLISECONDS);
            case Outcome.Retry r -> {
                CircuitBreaker.State before = circuit.getState();
                circuit.onError(millis, TimeUnit.MILLISECONDS, new ProviderFault(r.error()));
                // once, on the transition: calls still under way when it opened change nothing
                if (before != CircuitBreaker.State.OPEN && circuit.getState() == CircuitBreaker.State.OPEN) {
                    cooldowns.block(account, OPEN_CIRCUIT_BLOCK, BlockReason.CIRCUIT_OPEN);
                    if (cooldowns.outage(account, OPEN_CIRCUIT_BLOCK)) {
                        // one alert per outage for the whole fleet: other workers' circuits opening on the same
                        // outage, or a probe finding it still down, say nothing new
                        log.warn(
                                "ALERT account {}: circuit opened after {} consecutive failures (last: {}); the fleet "
                                        + "skips it until a health probe succeeds",
                                account,
                                settings.circuitFailures(),
                                r.error());
                        events.circuitOpened(account, r.error());
                    } else {
                        log.info("account {}: circuit opened here too (outage already announced)", account);
                    }
                }
            }
            case Outcome.RateLimited r -> cooldowns.block(account, r.cooldown(), BlockReason.RATE_LIMITED);
            case Outcome.QuotaExhausted q -> {
                cooldowns.block(account, q.cooldown(), BlockReason.QUOTA_EXHAUSTED);
                log.warn("ALERT account {}: quota exhausted, resting for {}", account, q.cooldown());
            }
            case Outcome.Unauthorized u -> {
                cooldowns.block(account, settings.disableFor(), BlockReason.UNAUTHORIZED);
                log.error(
                        "ALERT account {}: API key refused (401/403); disabled fleet-wide for {} or until a probe "
                                + "succeeds",
                        account,
                        settings.disableFor());
                events.accountDisabled(account, "API key refused");
            }
        }
    }

    /** A probe found a blocked account healthy: lift its block and close its circuit here. */
    public void recovered(String account) {
        cooldowns.unblock(account);
        circuits.circuitBreaker(account).transitionToClosedState();
        log.info("account {} recovered: it takes work again", account);
        events.accountRecovered(account);
    }

    /**
     * A probe found a blocked account still failing: its block starts afresh (so a long outage never lapses into
     * real jobs failing again and a new alert), with no new alert.
     */
    public void stillDown(String account, BlockReason reason) {
        cooldowns.outage(account, OPEN_CIRCUIT_BLOCK);
        cooldowns.block(
                account, reason == BlockReason.UNAUTHORIZED ? settings.disableFor() : OPEN_CIRCUIT_BLOCK, reason);
    }

    /** The local circuit states, for health and metrics. */
    public Map<String, CircuitBreaker.State> circuitStates() {
        Map<String, CircuitBreaker.State> out = new TreeMap<>();
        circuits.getAllCircuitBreakers().forEach(c -> out.put(c.getName(), c.getState()));
        return out;
    }

    public Cooldowns cooldowns() {
        return cooldowns;
    }

    /** The failure a circuit breaker counts (never thrown). */
    static final class ProviderFault extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProviderFault(String error) {
            super(error, null, false, false);
        }
    }
}
