package dev.llmdispatch.dispatch;

import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.Balance;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** The default providers, pointed at one base URL (a simulator), for tests. */
public final class TestSettings {
    private TestSettings() {}

    public static ProviderSettings provider(
            String baseUrl,
            Set<Capability> caps,
            int contextWindow,
            Map<String, String> models,
            Map<String, Object> thinking,
            AccountSettings... accounts) {
        return new ProviderSettings(
                baseUrl,
                caps,
                contextWindow,
                models,
                Map.of(),
                thinking,
                Balance.ORDERED,
                Duration.ofSeconds(5),
                List.of(accounts));
    }

    public static AccountSettings account(String id, String key) {
        return new AccountSettings(id, key, Limits.of(40, Duration.ofSeconds(6), 5, null, null), null);
    }

    public static Map<String, ProviderSettings> defaultProviders(String baseUrl) {
        return defaultProviders(baseUrl, null);
    }

    private static AccountSettings account(String id, String key, Limits limits) {
        return limits == null ? account(id, key) : new AccountSettings(id, key, limits, null);
    }

    /** The default providers, every account with {@code limits} (null: the default NVIDIA-like 40/6s, 5). */
    public static Map<String, ProviderSettings> defaultProviders(String baseUrl, Limits limits) {
        Map<String, ProviderSettings> providers = new LinkedHashMap<>();
        providers.put(
                "nvidia",
                provider(
                        baseUrl,
                        Set.of(Capability.CHAT, Capability.THINKING, Capability.EMBEDDING),
                        128_000,
                        Map.of("chat", "deepseek-ai/deepseek-v3.1", "embedding", "nvidia/nv-embedqa-e5-v5"),
                        Map.of("chat_template_kwargs", Map.of("thinking", true)),
                        account("nvidia-1", "sim-nvidia-1", limits),
                        account("nvidia-2", "sim-nvidia-2", limits)));
        providers.put(
                "hunyuan",
                provider(
                        baseUrl,
                        Set.of(Capability.CHAT),
                        256_000,
                        Map.of("chat", "hunyuan-turbos-latest"),
                        Map.of(),
                        account("hunyuan-1", "sim-hunyuan-1", limits)));
        providers.put(
                "siliconflow",
                provider(
                        baseUrl,
                        Set.of(Capability.EMBEDDING),
                        8_192,
                        Map.of("embedding", "BAAI/bge-m3"),
                        Map.of(),
                        account("siliconflow-1", "sim-siliconflow-1", limits)));
        return providers;
    }

    /** Capacity keys of a test's own, so tests sharing one Redis do not share limits. */
    public static CapacitySettings capacity() {
        return CapacitySettings.of(
                        "test-" + UUID.randomUUID(),
                        Duration.ofMillis(50),
                        Duration.ofSeconds(1),
                        Duration.ofMillis(10))
                .withQuietOnNewState(false);
    }

    public static DispatchSettings settings(Map<String, ProviderSettings> providers) {
        return new DispatchSettings(null, null, providers, null, null, 0);
    }
}
