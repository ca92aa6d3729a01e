package dev.llmdispatch.dispatch.config;

import dev.llmdispatch.contract.JobValidator;
import dev.llmdispatch.contract.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The whole {@code dispatch.*} configuration, validated once at construction: every error names its key
 * and bad value ("dispatch.providers.nvidia.accounts[1].limits.concurrency must be > 0, but was 0"), and
 * all errors are reported together.
 */
public record DispatchSettings(
        String redisUrl,
        Topics topics,
        Map<String, ProviderSettings> providers,
        Map<String, List<String>> chains,
        List<String> allowedReplyTopics,
        int maxJobBytes) {

    public static final String DEFAULT_REDIS_URL = "redis://localhost:6379";
    public static final int DEFAULT_MAX_JOB_BYTES = 1024 * 1024;
    /** Chain names: the tiers and EMBEDDING. */
    public static final List<String> CHAIN_NAMES = List.of("TIER_1", "TIER_2", "TIER_3", "EMBEDDING");

    public static final Map<String, List<String>> DEFAULT_CHAINS = Map.of(
            "TIER_1", List.of("nvidia", "hunyuan"),
            "TIER_2", List.of("hunyuan", "nvidia"),
            "TIER_3", List.of("hunyuan", "nvidia"),
            "EMBEDDING", List.of("siliconflow", "nvidia"));

    public DispatchSettings {
        redisUrl = redisUrl == null || redisUrl.isBlank() ? DEFAULT_REDIS_URL : redisUrl;
        topics = topics == null ? Topics.DEFAULTS : topics;
        providers = providers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(providers));
        chains = normalise(chains == null || chains.isEmpty() ? DEFAULT_CHAINS : chains);
        allowedReplyTopics = allowedReplyTopics == null || allowedReplyTopics.isEmpty()
                ? JobValidator.DEFAULT_ALLOWED_REPLY_TOPICS
                : List.copyOf(allowedReplyTopics);
        maxJobBytes = maxJobBytes == 0 ? DEFAULT_MAX_JOB_BYTES : maxJobBytes;
        List<String> errors = validate(redisUrl, providers, chains, maxJobBytes);
        if (!errors.isEmpty()) {
            throw new InvalidConfigurationException(errors);
        }
    }

    private static Map<String, List<String>> normalise(Map<String, List<String>> chains) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        chains.forEach((k, v) ->
                out.put(k.toUpperCase(Locale.ROOT).replace('-', '_'), v == null ? List.of() : List.copyOf(v)));
        return Collections.unmodifiableMap(out);
    }

    private static List<String> validate(
            String redisUrl,
            Map<String, ProviderSettings> providers,
            Map<String, List<String>> chains,
            int maxJobBytes) {
        List<String> errors = new ArrayList<>();
        try {
            RedisUrl.parse(redisUrl);
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
        }
        if (maxJobBytes < 1024) {
            errors.add("dispatch.max-job-bytes must be >= 1024, but was " + maxJobBytes);
        }
        Set<String> accountIds = new HashSet<>();
        providers.forEach((name, p) -> {
            String key = "dispatch.providers." + name;
            if (p == null) {
                errors.add(key + " must be an object");
                return;
            }
            if (accountIds.contains(name)) {
                errors.add(key + ": provider name clashes with an account id");
            }
            if (p.baseUrl() == null || !p.baseUrl().matches("https?://.+")) {
                errors.add(key + ".base-url must be an http(s) URL, but was " + p.baseUrl());
            }
            if (p.contextWindow() != null && p.contextWindow() <= 0) {
                errors.add(key + ".context-window must be > 0, but was " + p.contextWindow());
            }
            if (p.timeout().isNegative() || p.timeout().isZero()) {
                errors.add(key + ".timeout must be > 0, but was " + p.timeout());
            }
            for (Capability c : p.capabilities()) {
                String kindKey = c == Capability.EMBEDDING ? "embedding" : "chat";
                if (p.models().get(kindKey) == null && p.models().get(c.name().toLowerCase(Locale.ROOT)) == null) {
                    errors.add(key + ".models." + kindKey + " is required for capability "
                            + c.name().toLowerCase(Locale.ROOT));
                }
            }
            if (p.accounts().isEmpty()) {
                errors.add(key + ".accounts must list at least one account");
            }
            for (int i = 0; i < p.accounts().size(); i++) {
                AccountSettings a = p.accounts().get(i);
                String akey = key + ".accounts[" + i + "]";
                if (a.id() == null || a.id().isBlank()) {
                    errors.add(akey + ".id is required");
                    continue;
                }
                if (!accountIds.add(a.id()) || providers.containsKey(a.id()) && !a.id().equals(name)) {
                    errors.add(akey + ".id must be unique across providers, but " + a.id() + " appears twice");
                }
                validateLimits(akey + ".limits", a.limits(), errors);
                if (a.weight() <= 0) {
                    errors.add(akey + ".weight must be > 0, but was " + a.weight());
                }
            }
        });
        chains.forEach((chain, entries) -> {
            String key = "dispatch.routing.chains." + chain;
            if (!CHAIN_NAMES.contains(chain)) {
                errors.add(key + ": unknown chain, expected one of " + CHAIN_NAMES);
            }
            for (int i = 0; i < entries.size(); i++) {
                String entry = entries.get(i);
                if (!providers.containsKey(entry) && !accountIds.contains(entry)) {
                    errors.add(key + "[" + i + "] names no provider or account: " + entry);
                }
            }
        });
        return errors;
    }

    private static void validateLimits(String key, Limits l, List<String> errors) {
        if (l.requests() != null) {
            if (l.requests() <= 0) {
                errors.add(key + ".requests must be > 0, but was " + l.requests());
            }
            if (l.per() == null) {
                errors.add(key + ".per is required with requests");
            }
        }
        if (l.per() != null && (l.per().isNegative() || l.per().isZero())) {
            errors.add(key + ".per must be > 0, but was " + l.per());
        }
        if (l.concurrency() != null && l.concurrency() <= 0) {
            errors.add(key + ".concurrency must be > 0, but was " + l.concurrency());
        }
        if (l.tokens() == null && l.tokensReset() != null) {
            errors.add(key + ".tokens-reset needs tokens");
        }
        if (l.tokens() != null) {
            if (l.tokens() <= 0) {
                errors.add(key + ".tokens must be > 0, but was " + l.tokens());
            }
            if (l.tokensReset() != null) {
                try {
                    l.tokenDayStartMillis(Instant.now());
                } catch (IllegalArgumentException e) {
                    errors.add(key + ".tokens-reset " + e.getMessage() + ", but was " + l.tokensReset());
                }
                if (l.tokensPer() != null && !l.tokensPer().equals(Duration.ofDays(1))) {
                    errors.add(
                            key + ".tokens-per must be 1d (or left out) with tokens-reset, but was " + l.tokensPer());
                }
            } else if (l.tokensPer() == null
                    || l.tokensPer().isNegative()
                    || l.tokensPer().isZero()) {
                errors.add(key + ".tokens-per (or tokens-reset) must be > 0 with tokens, but was " + l.tokensPer());
            }
        }
    }

    /** The provider an account belongs to. */
    public String providerOf(String accountId) {
        for (Map.Entry<String, ProviderSettings> e : providers.entrySet()) {
            for (AccountSettings a : e.getValue().accounts()) {
                if (a.id().equals(accountId)) {
                    return e.getKey();
                }
            }
        }
        return null;
    }

    /** Accounts that have no API key and so take no work. */
    public List<String> disabledAccounts() {
        List<String> out = new ArrayList<>();
        providers
                .values()
                .forEach(p -> p.accounts().stream().filter(a -> !a.enabled()).forEach(a -> out.add(a.id())));
        return out;
    }

    /** A one-paragraph description for the startup log: no key appears in it. */
    public String describe() {
        StringBuilder sb = new StringBuilder("redis=")
                .append(redactUrl(redisUrl))
                .append(", topics=")
                .append(topics);
        providers.forEach((name, p) -> {
            sb.append("\n  provider ")
                    .append(name)
                    .append(" ")
                    .append(p.baseUrl())
                    .append(" ")
                    .append(p.capabilities())
                    .append(" models=")
                    .append(p.models())
                    .append(" balance=")
                    .append(p.balance())
                    .append(" timeout=")
                    .append(p.timeout());
            p.accounts().forEach(a -> sb.append("\n    ").append(a));
        });
        sb.append("\n  chains=")
                .append(chains)
                .append(", reply topics allowed=")
                .append(allowedReplyTopics);
        return sb.toString();
    }

    /** A URL without its credentials (all between {@code ://} and the last {@code @}), for messages. */
    public static String redactUrl(String url) {
        if (url == null) {
            return null;
        }
        int scheme = url.indexOf("://");
        int at = url.lastIndexOf('@');
        return scheme >= 0 && at > scheme ? url.substring(0, scheme + 3) + "****" + url.substring(at) : url;
    }

    public Duration longestTimeout() {
        return providers.values().stream()
                .map(ProviderSettings::timeout)
                .max(Duration::compareTo)
                .orElse(ProviderSettings.DEFAULT_TIMEOUT);
    }
}
