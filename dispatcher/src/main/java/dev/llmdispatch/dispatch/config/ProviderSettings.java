package dev.llmdispatch.dispatch.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One provider: an OpenAI-compatible endpoint and its accounts.
 *
 * @param baseUrl        e.g. {@code https://integrate.api.nvidia.com/v1}
 * @param capabilities   what it serves (chat, thinking, embedding)
 * @param contextWindow  the largest prompt in tokens it takes (null: no limit known)
 * @param models         default model per kind: {@code chat}, {@code thinking}, {@code embedding}
 * @param modelAliases   logical model names mapped to this provider's names
 * @param thinkingParams request fields merged into a thinking job's body, e.g. {@code chat_template_kwargs}
 * @param balance        how its accounts share the work
 * @param timeout        per-call timeout
 */
public record ProviderSettings(
        String baseUrl,
        Set<Capability> capabilities,
        Integer contextWindow,
        Map<String, String> models,
        Map<String, String> modelAliases,
        Map<String, Object> thinkingParams,
        Balance balance,
        Duration timeout,
        List<AccountSettings> accounts) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    public ProviderSettings {
        capabilities =
                capabilities == null || capabilities.isEmpty() ? Set.of(Capability.CHAT) : Set.copyOf(capabilities);
        models = models == null ? Map.of() : Map.copyOf(models);
        modelAliases = modelAliases == null ? Map.of() : Map.copyOf(modelAliases);
        thinkingParams = thinkingParams == null ? Map.of() : Map.copyOf(thinkingParams);
        balance = balance == null ? Balance.ORDERED : balance;
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
        baseUrl = baseUrl == null ? null : baseUrl.replaceAll("/+$", "");
    }

    /** Whether a request naming this model can be served here: one of its models, or a logical alias it maps. */
    public boolean hasModel(String model) {
        return models.containsValue(model) || modelAliases.containsKey(model) || modelAliases.containsValue(model);
    }

    public boolean can(Capability capability) {
        return capabilities.contains(capability);
    }

    /** The model for a request: the job's own (through an alias), else the default for the kind. */
    public String modelFor(String requested, String kindKey) {
        if (requested != null) {
            return modelAliases.getOrDefault(requested, requested);
        }
        String model = models.get(kindKey);
        if (model == null && kindKey.equals("thinking")) {
            model = models.get("chat");
        }
        return model;
    }
}
