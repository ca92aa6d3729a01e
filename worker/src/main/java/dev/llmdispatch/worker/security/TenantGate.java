package dev.llmdispatch.worker.security;

import dev.llmdispatch.client.EmergencyException;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.TenantBudgetCheck;
import dev.llmdispatch.dispatch.TierRule;
import dev.llmdispatch.dispatch.spi.TenantLedger;
import dev.llmdispatch.time.Ticker;
import dev.llmdispatch.worker.observe.Metrics;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;

/**
 * What a tenant's request must pass before it becomes a job, for both HTTP ways in ({@code /v1} and {@code /api}):
 * the models and tiers it may use (a job whose tier the classifier would pick is classified here when the tenant is
 * held to some tiers), then its budgets. Each way in writes a refusal in its own error format.
 *
 * <p>Jobs put on Kafka directly meet the same budgets when a worker is about to start them ({@link #start}): a spent
 * per-minute budget holds the tenant's jobs until the next minute, a spent daily budget ends the job with
 * {@code BUDGET_SPENT} (dead-lettered, to replay once it renews). Every job is settled with its tenant when it ends
 * ({@link #settle}), whichever way it came in: the tokens it used replace what it reserved.
 */
public final class TenantGate implements TenantBudgetCheck {

    /** A spent budget that renews within this holds the tenant's jobs; one that renews later ends them. */
    static final Duration HOLD_AT_MOST = Duration.ofMinutes(2);

    /** Added to a hold: the budget's minute is Redis' and renews by its clock. */
    private static final Duration HOLD_MARGIN = Duration.ofMillis(50);

    private static final Logger log = LoggerFactory.getLogger(TenantGate.class);

    /** The outcome: the job to queue, or why not. */
    public sealed interface Decision permits Admitted, Refused {}

    /** The job as it goes on Kafka (its tier settled when the tenant's tiers are restricted). */
    public record Admitted(Job job) implements Decision {}

    /**
     * Why the request was refused.
     *
     * @param type OpenAI's error type ({@code permission_error}, {@code requests}, {@code tokens}, ...)
     * @param retryAfter when to try again, for a spent budget or an unavailable store; zero otherwise
     */
    public record Refused(HttpStatus status, String message, String type, String code, Duration retryAfter)
            implements Decision {}

    private final TenantBudgets budgets;
    private final TierRule planner;
    private final Metrics metrics;
    private final Function<String, Optional<Tenant>> tenants;
    /** Per tenant, when its last hold was logged (one line a minute, not one per job). */
    private final Map<String, Long> holdLogged = new ConcurrentHashMap<>();

    /** @param tenants the configured tenant of a name */
    public TenantGate(
            TenantBudgets budgets, TierRule planner, Metrics metrics, Function<String, Optional<Tenant>> tenants) {
        this.tenants = tenants;
        this.budgets = budgets;
        this.planner = planner;
        this.metrics = metrics;
    }

    /** Checks a tenant's job and counts it against the tenant's request budgets; the outcome counted per tenant. */
    public Decision admit(Tenant tenant, Job job, String model) {
        Decision decision = decide(tenant, job, model);
        metrics.tenantRequest(
                tenant.name(),
                switch (decision) {
                    case Admitted a -> "admitted";
                    case Refused r when r.status() == HttpStatus.FORBIDDEN -> "forbidden";
                    case Refused r when r.status() == HttpStatus.TOO_MANY_REQUESTS -> "budget";
                    case Refused r -> "unavailable";
                });
        return decision;
    }

    /** @param model the model name the request used, or null */
    private Decision decide(Tenant tenant, Job job, String model) {
        if (model != null && !tenant.allowsModel(model)) {
            return new Refused(
                    HttpStatus.FORBIDDEN,
                    "tenant " + tenant.name() + " may not use model '" + model + "'",
                    "permission_error",
                    "model_not_allowed",
                    Duration.ZERO);
        }
        if (job.kind() == JobKind.CHAT) {
            Tier tier = job.tier();
            if (tier == null && !tenant.allowedTiers().isEmpty()) {
                tier = planner.settleTier(job);
                job = job.toBuilder().tier(tier).build();
            }
            if (!tenant.allows(tier)) {
                return new Refused(
                        HttpStatus.FORBIDDEN,
                        "tenant " + tenant.name() + " may not use " + tier + " (allowed: " + tenant.allowedTiers()
                                + ")",
                        "permission_error",
                        "tier_not_allowed",
                        Duration.ZERO);
            }
        }
        TenantLedger.Admission admission;
        try {
            admission = budgets.admit(
                    tenant, job.id(), tenant.hasTokenBudgets() ? TenantBudgetCheck.tokensToReserve(job) : 0);
        } catch (RuntimeException e) {
            log.warn("tenant {}: budgets cannot be checked: {}", tenant.name(), e.toString());
            return new Refused(
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "the tenant's budgets cannot be checked now (the limit store does not answer); try again shortly",
                    "server_error",
                    "unavailable",
                    Duration.ofSeconds(5));
        }
        if (!admission.admitted()) {
            long seconds = Math.max(1, (admission.retryAfter().toMillis() + 999) / 1000);
            return new Refused(
                    HttpStatus.TOO_MANY_REQUESTS,
                    "tenant " + tenant.name() + " has spent its " + admission.spent() + " budget; it renews in "
                            + seconds + " s",
                    admission.spent().startsWith("tokens") ? "tokens" : "requests",
                    "rate_limit_exceeded",
                    Duration.ofSeconds(seconds));
        }
        return new Admitted(job);
    }

    @Override
    public Verdict start(String tenantName, String jobId, LongSupplier tokens) {
        Tenant tenant = tenantName == null ? null : tenants.apply(tenantName).orElse(null);
        if (tenant == null || !tenant.hasBudgets()) {
            return START;
        }
        TenantLedger.Admission admission =
                budgets.admit(tenant, jobId, tenant.hasTokenBudgets() ? tokens.getAsLong() : 0);
        if (admission.admitted()) {
            if (!admission.countedBefore()) { // one admitted at the ingress was counted there
                metrics.tenantRequest(tenant.name(), "admitted");
            }
            return START;
        }
        long seconds = Math.max(1, (admission.retryAfter().toMillis() + 999) / 1000);
        if (admission.retryAfter().compareTo(HOLD_AT_MOST) <= 0) {
            metrics.tenantRequest(tenant.name(), "held");
            long now = Ticker.SYSTEM.nanos();
            Long logged = holdLogged.get(tenant.name());
            if (logged == null || now - logged > TimeUnit.MINUTES.toNanos(1)) {
                holdLogged.put(tenant.name(), now);
                log.info(
                        "tenant {} has spent its {} budget: its jobs wait here for {} s, until it renews",
                        tenant.name(),
                        admission.spent(),
                        seconds);
            }
            return new Hold(admission.retryAfter().plus(HOLD_MARGIN), admission.spent());
        }
        metrics.tenantRequest(tenant.name(), "budget");
        return new Spent("tenant " + tenant.name() + " has spent its " + admission.spent() + " budget; it renews in "
                + seconds + " s (at midnight UTC): replay the job then");
    }

    /**
     * Gives back what an admitted job reserved when its submission fails before Kafka has it: a job the client refuses
     * (invalid, emergency mode), or a send that failed. A job that was sent and only timed out is settled by the worker
     * that runs it.
     */
    public void settleIfNotQueued(Tenant tenant, String jobId, CompletableFuture<?> submitted) {
        if (!tenant.hasTokenBudgets()) {
            return;
        }
        submitted.whenComplete((r, e) -> {
            Throwable cause = e instanceof CompletionException || e instanceof ExecutionException ? e.getCause() : e;
            if (cause instanceof IllegalArgumentException
                    || cause instanceof EmergencyException
                    || cause instanceof KafkaException) {
                try {
                    budgets.settle(tenant, jobId, 0);
                } catch (RuntimeException again) {
                    log.warn(
                            "tenant {}: job {} was not queued and its reserved tokens stay to the end of their minute "
                                    + "and day: {}",
                            tenant.name(),
                            jobId,
                            again.toString());
                }
            }
        });
    }

    /**
     * A tenant's job ended: the tokens it used (none for a failure, a cached or a stored answer) replace what it reserved
     * when it was admitted.
     */
    @Override
    public void settle(String tenantName, JobResult result) {
        Tenant tenant = tenantName == null ? null : tenants.apply(tenantName).orElse(null);
        if (tenant == null) {
            return;
        }
        boolean used = result.status() == JobStatus.SUCCEEDED && !result.cached() && result.response() != null;
        long tokens = used
                ? Math.max(
                        0, result.response().path("usage").path("total_tokens").asLong(0))
                : 0;
        if (tokens > 0) {
            metrics.tenantTokens(tenant.name(), tokens);
        }
        try {
            budgets.settle(tenant, result.id(), tokens);
        } catch (RuntimeException e) {
            log.warn(
                    "tenant {}: job {} not settled in its budget ({} tokens used): {}",
                    tenant.name(),
                    result.id(),
                    tokens,
                    e.toString());
        }
    }
}
