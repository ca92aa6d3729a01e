package dev.llmdispatch.worker.observe;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.Capacity;
import dev.llmdispatch.dispatch.ProviderHealth;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Gauges read when scraped: per account its fleet-wide requests in flight and request permits left in the
 * window (from Redis), whether it is blocked, and this worker's circuit state; per priority the buffered
 * jobs; the jobs waiting for capacity.
 */
@Configuration(proxyBeanMethods = false)
public class AccountMetrics {

    @Bean
    SmartInitializingSingleton accountGauges(
            MeterRegistry meters,
            Capacity gate,
            AccountBlocks cooldowns,
            ProviderHealth health,
            PriorityConsumer consumer) {
        return () -> {
            for (String account : gate.accountIds()) {
                Gauge.builder(
                                Metrics.ACCOUNT_IN_FLIGHT,
                                gate,
                                g -> g.usage(account).inFlight())
                        .description("requests in flight on the account, whole fleet")
                        .tag("account", account)
                        .register(meters);
                Gauge.builder(Metrics.ACCOUNT_ADAPTIVE_LIMIT, gate, g -> {
                            Integer limit = g.usage(account).adaptiveLimit();
                            return limit == null ? Double.NaN : limit;
                        })
                        .description("the fleet's adaptive limit on the account's calls in flight (its concurrency"
                                + " limit while not cut)")
                        .tag("account", account)
                        .register(meters);
                Gauge.builder(Metrics.ACCOUNT_WINDOW_REMAINING, gate, g -> {
                            long left = g.usage(account).requestsLeft();
                            return left == Long.MAX_VALUE ? Double.NaN : left;
                        })
                        .description("request permits left in the account's window, whole fleet")
                        .tag("account", account)
                        .register(meters);
                Long quota = gate.tokenQuota(account);
                if (quota != null) {
                    Gauge.builder(Metrics.ACCOUNT_TOKEN_QUOTA, () -> quota)
                            .description("the account's token quota per window")
                            .tag("account", account)
                            .register(meters);
                    Gauge.builder(Metrics.ACCOUNT_TOKENS_REMAINING, gate, g -> {
                                long left = g.usage(account).tokensLeft();
                                return left == Long.MAX_VALUE ? Double.NaN : left;
                            })
                            .description("tokens left in the account's quota window, whole fleet")
                            .tag("account", account)
                            .register(meters);
                }
                Gauge.builder(Metrics.ACCOUNT_BLOCKED, cooldowns, c -> c.isBlocked(account) ? 1 : 0)
                        .tag("account", account)
                        .register(meters);
                Gauge.builder(Metrics.CIRCUIT_STATE, health, h -> switch (h.circuitStates()
                                .getOrDefault(account, CircuitBreaker.State.CLOSED)) {
                            case CLOSED -> 0;
                            case OPEN, FORCED_OPEN -> 1;
                            default -> 2;
                        })
                        .description("this worker's circuit: 0 closed, 1 open, 2 half-open")
                        .tag("account", account)
                        .register(meters);
            }
            for (Priority p : Priority.values()) {
                Gauge.builder(Metrics.BUFFERED_JOBS, consumer, c -> c.buffered(p))
                        .tag("priority", p.name())
                        .register(meters);
            }
            Gauge.builder(Metrics.JOBS_WAITING_CAPACITY, gate, Capacity::waiting)
                    .register(meters);
            FunctionCounter.builder(Metrics.CAPACITY_HANDOVERS, gate, Capacity::handedOver)
                    .description("concurrency permits passed from a finished call straight to a waiting job")
                    .register(meters);
            Gauge.builder(Metrics.JOBS_IN_FLIGHT, consumer, PriorityConsumer::inFlight)
                    .register(meters);
            FunctionCounter.builder(Metrics.OUTCOME_TRANSACTIONS, consumer, PriorityConsumer::transactions)
                    .description("Kafka transactions that committed jobs' outcomes with their offsets")
                    .register(meters);
        };
    }
}
