package dev.llmdispatch.worker.security;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.worker.config.DispatchProperties.TenantProperties;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A tenant as the ingress enforces it.
 *
 * @param allowedTiers empty: every tier
 * @param allowedModels empty: every model name
 * @param requestsPerMinute -1: no budget (and so for the other budgets)
 */
public record Tenant(
        String name,
        Priority defaultPriority,
        Set<Tier> allowedTiers,
        Set<String> allowedModels,
        long requestsPerMinute,
        long requestsPerDay,
        long tokensPerMinute,
        long tokensPerDay,
        int weight) {

    /** The tenant configured under {@code dispatch.tenants.<name>}, checked. */
    public static Tenant of(String name, TenantProperties p) {
        String where = "dispatch.tenants." + name;
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException(
                    "dispatch.tenants: a tenant's name must be 1-64 of [A-Za-z0-9._-], but was '" + name + "'");
        }
        Priority priority;
        try {
            priority = Priority.valueOf(p.defaultPriority().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    where + ".default-priority must be HIGH, MEDIUM or LOW, but was " + p.defaultPriority());
        }
        Set<Tier> tiers;
        try {
            tiers = list(p.allowedTiers()).stream()
                    .map(t -> Tier.valueOf(t.toUpperCase(Locale.ROOT).replace('-', '_')))
                    .collect(Collectors.toUnmodifiableSet());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    where + ".allowed-tiers must name TIER_1, TIER_2 or TIER_3, but was " + p.allowedTiers());
        }
        if (p.weight() < 1) {
            throw new IllegalArgumentException(where + ".weight must be at least 1, but was " + p.weight());
        }
        return new Tenant(
                name,
                priority,
                tiers,
                Set.copyOf(list(p.allowedModels())),
                budget(p.requestsPerMinute(), where + ".requests-per-minute"),
                budget(p.requestsPerDay(), where + ".requests-per-day"),
                budget(p.tokensPerMinute(), where + ".tokens-per-minute"),
                budget(p.tokensPerDay(), where + ".tokens-per-day"),
                p.weight());
    }

    /** Whether the tenant may ask for this tier (null: the classifier decides, always allowed). */
    public boolean allows(Tier tier) {
        return tier == null || allowedTiers.isEmpty() || allowedTiers.contains(tier);
    }

    /** Whether the tenant may ask for this model name. */
    public boolean allowsModel(String model) {
        return allowedModels.isEmpty() || allowedModels.contains(model);
    }

    public boolean hasBudgets() {
        return requestsPerMinute >= 0 || requestsPerDay >= 0 || hasTokenBudgets();
    }

    /** Whether a token budget is set: its jobs reserve their estimated tokens. */
    public boolean hasTokenBudgets() {
        return tokensPerMinute >= 0 || tokensPerDay >= 0;
    }

    private static long budget(Long value, String what) {
        if (value == null) {
            return -1;
        }
        if (value < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, but was " + value);
        }
        return value;
    }

    private static List<String> list(List<String> values) {
        return values == null ? List.of() : values;
    }
}
