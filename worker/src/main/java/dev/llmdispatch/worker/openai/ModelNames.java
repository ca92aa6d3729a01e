package dev.llmdispatch.worker.openai;

import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a request's {@code model} may be: an alias of a tier ({@code auto}, {@code tier-1}, {@code tier-2},
 * {@code tier-3}, and those configured under {@code dispatch.ingress.models}), or a model some provider has, which
 * routing then honours.
 */
final class ModelNames {

    /** What a name asks for: a tier (null: the classifier decides), or a provider's model (kept in the request). */
    record Resolved(String name, Tier tier, boolean concrete) {}

    private final Map<String, Tier> aliases = new LinkedHashMap<>();
    private final Set<String> auto = new LinkedHashSet<>();
    private final Set<String> chatModels = new LinkedHashSet<>();
    private final Set<String> embeddingModels = new LinkedHashSet<>();

    ModelNames(Map<String, String> configured, Map<String, ProviderSettings> providers) {
        auto.add("auto");
        aliases.put("tier-1", Tier.TIER_1);
        aliases.put("tier-2", Tier.TIER_2);
        aliases.put("tier-3", Tier.TIER_3);
        if (configured != null) {
            configured.forEach((name, target) -> {
                String t = target.strip().toUpperCase(Locale.ROOT).replace('-', '_');
                if (t.equals("AUTO")) {
                    auto.add(name);
                } else {
                    try {
                        aliases.put(name, Tier.valueOf(t));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("dispatch.ingress.models." + name
                                + " must be auto, tier-1, tier-2 or tier-3, but was " + target);
                    }
                }
            });
        }
        providers.values().forEach(p -> {
            p.models().forEach((kind, model) -> (kind.equals("embedding") ? embeddingModels : chatModels).add(model));
            if (p.can(Capability.EMBEDDING) && !p.can(Capability.CHAT)) {
                embeddingModels.addAll(p.modelAliases().keySet());
            } else {
                chatModels.addAll(p.modelAliases().keySet());
            }
        });
    }

    /** The name resolved for a chat request, or empty when nothing here has it. */
    Optional<Resolved> chat(String name) {
        if (auto.contains(name)) {
            return Optional.of(new Resolved(name, null, false));
        }
        Tier tier = aliases.get(name);
        if (tier != null) {
            return Optional.of(new Resolved(name, tier, false));
        }
        return chatModels.contains(name) ? Optional.of(new Resolved(name, null, true)) : Optional.empty();
    }

    /** The name resolved for an embeddings request: {@code auto} (any embedding model) or a provider's model. */
    Optional<Resolved> embedding(String name) {
        if (auto.contains(name)) {
            return Optional.of(new Resolved(name, null, false));
        }
        return embeddingModels.contains(name) ? Optional.of(new Resolved(name, null, true)) : Optional.empty();
    }

    /** Every name a request may use, aliases first. */
    Set<String> all() {
        Set<String> all = new LinkedHashSet<>(auto);
        all.addAll(aliases.keySet());
        all.addAll(chatModels);
        all.addAll(embeddingModels);
        return all;
    }
}
