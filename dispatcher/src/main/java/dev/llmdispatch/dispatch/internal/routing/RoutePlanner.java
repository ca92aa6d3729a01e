package dev.llmdispatch.dispatch.internal.routing;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.TierRule;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.ChainSpread;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.InvalidConfigurationException;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.config.RoutingRules;
import java.time.Clock;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Turns a job into a {@link Route}: settles its tier, takes that tier's chain (or EMBEDDING), puts the
 * peak-hours providers first when it is peak time, and expands the chain into enabled accounts that have
 * the capabilities the job needs and a context window that holds it.
 */
public final class RoutePlanner implements TierRule {

    private final DispatchSettings settings;
    private final RoutingRules rules;
    private final Clock clock;
    private final ChainSpread spread;
    private final ProviderLoad load;
    private final Map<String, SmoothWeights> weighted = new HashMap<>();

    public RoutePlanner(DispatchSettings settings) {
        this(settings, RoutingRules.DEFAULTS, Clock.systemUTC());
    }

    public RoutePlanner(DispatchSettings settings, RoutingRules rules, Clock clock) {
        this(settings, rules, clock, ChainSpread.NONE, ProviderLoad.NONE);
    }

    /**
     * @param spread how chains spread their first choice (weights, least busy first)
     * @param load how busy each provider is, for least-busy chains
     * @throws InvalidConfigurationException naming every key of {@code spread} that does not fit the chains
     */
    public RoutePlanner(
            DispatchSettings settings, RoutingRules rules, Clock clock, ChainSpread spread, ProviderLoad load) {
        this.settings = settings;
        this.rules = rules;
        this.clock = clock;
        this.spread = spread;
        this.load = load;
        List<String> problems = spread.problems(settings.chains());
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
        spread.weights().forEach((chain, shares) -> weighted.put(chain, new SmoothWeights(shares)));
    }

    /**
     * The tier a job runs at: its own; else TIER_1 for thinking jobs, prompts with a reasoning keyword or
     * at least {@code tier1MinTokens} long; TIER_3 for short plain prompts; TIER_2 otherwise.
     */
    public Tier settleTier(Job job) {
        if (job.tier() != null) {
            return job.tier();
        }
        if (Boolean.TRUE.equals(job.thinking())) {
            return Tier.TIER_1;
        }
        int tokens = PromptSize.promptTokens(job);
        if (rules.tier1MinTokens() > 0 && tokens >= rules.tier1MinTokens()) {
            return Tier.TIER_1;
        }
        String text = promptText(job).toLowerCase(Locale.ROOT);
        if (rules.tier1Keywords().stream().anyMatch(text::contains)) {
            return Tier.TIER_1;
        }
        return tokens <= rules.tier3MaxTokens() ? Tier.TIER_3 : Tier.TIER_2;
    }

    public Route planRoute(Job job) {
        boolean embedding = job.kind() == JobKind.EMBEDDING;
        Tier tier = embedding ? job.tier() : settleTier(job);
        String chain = embedding ? "EMBEDDING" : tier.name();
        Set<Capability> needs = embedding
                ? Set.of(Capability.EMBEDDING)
                : Boolean.TRUE.equals(job.thinking())
                        ? Set.of(Capability.CHAT, Capability.THINKING)
                        : Set.of(Capability.CHAT);
        int tokens = PromptSize.totalTokens(job);
        Set<String> seen = new LinkedHashSet<>();
        List<Candidate> candidates = new ArrayList<>();
        for (String entry : chainAt(chain)) {
            ProviderSettings pool = settings.providers().get(entry);
            if (pool != null) {
                for (AccountSettings account : pool.accounts()) {
                    addIfServes(candidates, seen, entry, pool, account, needs, tokens);
                }
            } else {
                String provider = settings.providerOf(entry);
                ProviderSettings owner = settings.providers().get(provider);
                owner.accounts().stream()
                        .filter(a -> a.id().equals(entry))
                        .findFirst()
                        .ifPresent(a -> addIfServes(candidates, seen, provider, owner, a, needs, tokens));
            }
        }
        return new Route(chain, tier, honourModel(job, candidates, needs, tokens), tokens);
    }

    /**
     * A request that names a model some provider has (one of its models, or a logical alias it maps) goes only to
     * the providers that have it: the chain's, in its order, or, when the chain has none of them, every provider
     * that has it. A name no provider has, or only providers none of whose accounts can take the job, is passed as
     * it is to the chain's providers.
     */
    private List<Candidate> honourModel(Job job, List<Candidate> candidates, Set<Capability> needs, int tokens) {
        JsonNode model = job.request().path("model");
        if (!model.isString()) {
            return candidates;
        }
        Set<String> having = new LinkedHashSet<>();
        settings.providers().forEach((name, pool) -> {
            if (pool.hasModel(model.stringValue())) {
                having.add(name);
            }
        });
        if (having.isEmpty()) {
            return candidates;
        }
        List<Candidate> honoured = new ArrayList<>(
                candidates.stream().filter(s -> having.contains(s.provider())).toList());
        if (honoured.isEmpty()) {
            Set<String> seen = new LinkedHashSet<>();
            for (String name : having) {
                ProviderSettings pool = settings.providers().get(name);
                pool.accounts().forEach(a -> addIfServes(honoured, seen, name, pool, a, needs, tokens));
            }
        }
        return honoured.isEmpty() ? candidates : honoured; // no account of those providers can take it: the chain's
    }

    /**
     * The chain's entries in the order they are tried now: a weighted chain starts with the provider whose turn it
     * is, a least-busy one with the least busy provider, otherwise peak hours put the preferred providers first; the
     * rest follow in the chain's order.
     */
    private List<String> chainAt(String chain) {
        List<String> entries = settings.chains().getOrDefault(chain, List.of());
        SmoothWeights weights = weighted.get(chain);
        if (weights != null) {
            return first(List.of(weights.next()), entries);
        }
        if (spread.leastBusy().contains(chain)) {
            List<String> byLoad = new ArrayList<>(entries);
            Map<String, Double> busy = new HashMap<>();
            entries.forEach(e -> busy.put(e, load.of(e)));
            byLoad.sort(Comparator.comparingDouble(busy::get)); // stable: equally busy keep the chain's order
            return byLoad;
        }
        RoutingRules.PeakHours peak = rules.peak();
        if (peak == null || !peak.contains(LocalTime.now(clock.withZone(peak.zone())))) {
            return entries;
        }
        return first(peak.prefer(), entries);
    }

    /** {@code entries} with those of {@code preferred} that it holds first, in their order. */
    private static List<String> first(List<String> preferred, List<String> entries) {
        List<String> ordered = new ArrayList<>();
        preferred.stream().filter(entries::contains).forEach(ordered::add);
        entries.stream().filter(e -> !ordered.contains(e)).forEach(ordered::add);
        return ordered;
    }

    private static void addIfServes(
            List<Candidate> candidates,
            Set<String> seen,
            String provider,
            ProviderSettings pool,
            AccountSettings account,
            Set<Capability> needs,
            int tokens) {
        // a job larger than the account's whole token quota could only be granted clamped, into an empty window, and
        // the provider would count more than its quota: it is not the account's
        boolean fits = (pool.contextWindow() == null || tokens <= pool.contextWindow())
                && (account.limits().tokens() == null
                        || tokens <= account.limits().tokens());
        if (account.enabled() && fits && pool.capabilities().containsAll(needs) && seen.add(account.id())) {
            candidates.add(new Candidate(provider, pool, account));
        }
    }

    private static String promptText(Job job) {
        StringBuilder sb = new StringBuilder();
        for (var message : job.request().path("messages")) {
            var content = message.path("content");
            if (content.isString()) {
                sb.append(content.stringValue()).append('\n');
            } else {
                for (var part : content) {
                    sb.append(part.path("text").asString("")).append('\n');
                }
            }
        }
        return sb.toString();
    }
}
