package dev.llmdispatch.dispatch.routing;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a job into a {@link Route}: the chain of its tier (or EMBEDDING), expanded into enabled accounts
 * that have the capabilities the job needs.
 */
public final class RoutePlanner {

    private final DispatchSettings settings;

    public RoutePlanner(DispatchSettings settings) {
        this.settings = settings;
    }

    /** The tier a job runs at: its own, else TIER_1 for thinking jobs, else TIER_2. */
    public static Tier settleTier(Job job) {
        if (job.tier() != null) {
            return job.tier();
        }
        return Boolean.TRUE.equals(job.thinking()) ? Tier.TIER_1 : Tier.TIER_2;
    }

    public Route planRoute(Job job) {
        boolean embedding = job.kind() == JobKind.EMBEDDING;
        Tier tier = embedding ? job.tier() : settleTier(job);
        String chain = embedding ? "EMBEDDING" : tier.name();
        Set<Capability> needs = embedding ? Set.of(Capability.EMBEDDING)
                : Boolean.TRUE.equals(job.thinking()) ? Set.of(Capability.CHAT, Capability.THINKING)
                : Set.of(Capability.CHAT);
        Set<String> seen = new LinkedHashSet<>();
        List<Slot> slots = new ArrayList<>();
        for (String entry : settings.chains().getOrDefault(chain, List.of())) {
            ProviderSettings pool = settings.providers().get(entry);
            if (pool != null) {
                for (AccountSettings account : pool.accounts()) {
                    addIfServes(slots, seen, entry, pool, account, needs);
                }
            } else {
                String provider = settings.providerOf(entry);
                ProviderSettings owner = settings.providers().get(provider);
                owner.accounts().stream().filter(a -> a.id().equals(entry)).findFirst()
                        .ifPresent(a -> addIfServes(slots, seen, provider, owner, a, needs));
            }
        }
        return new Route(chain, tier, slots);
    }

    private static void addIfServes(List<Slot> slots, Set<String> seen, String provider, ProviderSettings pool,
            AccountSettings account, Set<Capability> needs) {
        if (account.enabled() && pool.capabilities().containsAll(needs) && seen.add(account.id())) {
            slots.add(new Slot(provider, pool, account));
        }
    }
}
