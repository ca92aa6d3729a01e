package dev.llmdispatch.worker.ops;

import dev.llmdispatch.api.StatusReport;
import dev.llmdispatch.api.StatusReport.AccountStatus;
import dev.llmdispatch.api.StatusReport.Cooldown;
import dev.llmdispatch.api.StatusReport.TenantUsage;
import dev.llmdispatch.api.StatusReport.WorkerLoad;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.AccountUsage;
import dev.llmdispatch.dispatch.Capacity;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.dispatch.ProviderHealth;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.spi.TenantLedger;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import dev.llmdispatch.worker.security.ApiKeys;
import dev.llmdispatch.worker.security.Tenant;
import dev.llmdispatch.worker.security.TenantBudgets;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The fleet as one worker sees it now: per account its limits and live use across the fleet (requests in the
 * current window, in flight), cooldown and circuit; queue lag per priority for the workers' group; emergency
 * flag; this worker's own queues.
 */
public final class FleetStatus {

    private final DispatchSettings settings;
    private final Capacity gate;
    private final AccountBlocks cooldowns;
    private final ProviderHealth health;
    private final Emergency emergency;
    private final PriorityConsumer consumer;
    private final BacklogReader queues;
    private final ApiKeys keys;
    private final TenantBudgets budgets;

    public FleetStatus(
            DispatchSettings settings,
            Capacity gate,
            AccountBlocks cooldowns,
            ProviderHealth health,
            Emergency emergency,
            PriorityConsumer consumer,
            BacklogReader queues,
            ApiKeys keys,
            TenantBudgets budgets) {
        this.keys = keys;
        this.budgets = budgets;
        this.settings = settings;
        this.gate = gate;
        this.cooldowns = cooldowns;
        this.health = health;
        this.emergency = emergency;
        this.consumer = consumer;
        this.queues = queues;
    }

    /** The status now (what {@code GET /admin/status} answers). */
    public StatusReport snapshot() throws InterruptedException {
        List<AccountStatus> accounts = new ArrayList<>();
        for (Map.Entry<String, ProviderSettings> p : settings.providers().entrySet()) {
            for (AccountSettings a : p.getValue().accounts()) {
                accounts.add(account(p.getKey(), a));
            }
        }
        Map<String, Long> lag = null;
        String lagError = null;
        try {
            lag = queues.lag();
        } catch (ExecutionException | TimeoutException e) {
            // Kafka unreachable: the rest (from Redis and this worker) is still worth showing
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            lagError = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        }
        Map<String, Integer> buffered = new LinkedHashMap<>();
        for (Priority p : Priority.values()) {
            buffered.put(p.name(), consumer.buffered(p));
        }
        return new StatusReport(
                emergency.active(),
                accounts,
                lag,
                lagError,
                new WorkerLoad(buffered, consumer.inFlight(), gate.waiting()),
                tenants());
    }

    private List<TenantUsage> tenants() {
        List<TenantUsage> out = new ArrayList<>();
        for (Tenant t : keys.tenants().values()) {
            TenantLedger.Use use;
            try {
                use = budgets.use(t);
            } catch (RuntimeException e) { // Redis away: the limits are still worth showing
                use = null;
            }
            out.add(new TenantUsage(
                    t.name(),
                    t.weight(),
                    budget(t.requestsPerMinute()),
                    budget(t.requestsPerDay()),
                    budget(t.tokensPerMinute()),
                    budget(t.tokensPerDay()),
                    use == null ? null : use.requestsThisMinute(),
                    use == null ? null : use.requestsToday(),
                    use == null ? null : use.tokensThisMinute(),
                    use == null ? null : use.tokensToday()));
        }
        return out;
    }

    private static Long budget(long value) {
        return value < 0 ? null : value;
    }

    private AccountStatus account(String provider, AccountSettings a) {
        Limits limits = a.limits();
        String per = limits.per() == null ? null : limits.per().toString();
        if (!a.enabled()) {
            return new AccountStatus(
                    a.id(),
                    provider,
                    false,
                    limits.requests(),
                    per,
                    limits.concurrency(),
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null);
        }
        AccountUsage usage = gate.usage(a.id());
        return new AccountStatus(
                a.id(),
                provider,
                true,
                limits.requests(),
                per,
                limits.concurrency(),
                usage.adaptiveLimit() != null
                                && usage.concurrencyLimit() != null
                                && usage.adaptiveLimit() < usage.concurrencyLimit()
                        ? usage.adaptiveLimit()
                        : null,
                usage.requestLimit() == null ? null : usage.requestsInWindow(),
                (int) usage.inFlight(),
                usage.rebuildingMillis() > 0 ? usage.rebuildingMillis() : null, // after the state vanished from Redis
                usage.tokenQuota(),
                usage.tokenQuota() == null
                        ? null
                        : limits.tokensReset() != null ? "PT24H" : String.valueOf(limits.tokensPer()),
                usage.tokenQuota() == null ? null : usage.tokensInWindow(),
                cooldowns
                        .blocked(a.id())
                        .map(b -> new Cooldown(b.reason().name(), Instant.ofEpochMilli(b.untilMillis())))
                        .orElse(null),
                health.circuitStates()
                        .getOrDefault(a.id(), CircuitBreaker.State.CLOSED)
                        .name());
    }
}
