package dev.llmdispatch.worker.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a request's {@code model} may name. */
class ModelNamesTest {

    private static final Map<String, ProviderSettings> PROVIDERS = Map.of(
            "nvidia",
            new ProviderSettings(
                    "http://n/v1",
                    Set.of(Capability.CHAT, Capability.EMBEDDING),
                    null,
                    Map.of("chat", "deepseek", "embedding", "nv-embed"),
                    null,
                    null,
                    null,
                    null,
                    List.of()),
            "siliconflow",
            new ProviderSettings(
                    "http://s/v1",
                    Set.of(Capability.EMBEDDING),
                    null,
                    Map.of("embedding", "bge-m3"),
                    null,
                    null,
                    null,
                    null,
                    List.of()));

    @Test
    void tiers_aliases_and_the_providers_models() {
        ModelNames names = new ModelNames(Map.of("fast", "tier-3", "default", "auto"), PROVIDERS);
        assertThat(names.chat("auto"))
                .get()
                .extracting(ModelNames.Resolved::tier)
                .isNull();
        assertThat(names.chat("default"))
                .get()
                .extracting(ModelNames.Resolved::tier)
                .isNull();
        assertThat(names.chat("tier-1"))
                .get()
                .extracting(ModelNames.Resolved::tier)
                .isEqualTo(Tier.TIER_1);
        assertThat(names.chat("fast"))
                .get()
                .extracting(ModelNames.Resolved::tier)
                .isEqualTo(Tier.TIER_3);
        assertThat(names.chat("deepseek"))
                .get()
                .extracting(ModelNames.Resolved::concrete)
                .isEqualTo(true);
        assertThat(names.chat("bge-m3"))
                .as("an embedding model is no chat model")
                .isEmpty();
        assertThat(names.chat("gpt-4o")).isEmpty();
        assertThat(names.embedding("bge-m3"))
                .get()
                .extracting(ModelNames.Resolved::concrete)
                .isEqualTo(true);
        assertThat(names.embedding("auto")).isPresent();
        assertThat(names.embedding("tier-1")).isEmpty();
        assertThat(names.all()).startsWith("auto", "default", "tier-1", "tier-2", "tier-3", "fast");
    }

    @Test
    void an_alias_must_name_a_tier_or_auto() {
        assertThatThrownBy(() -> new ModelNames(Map.of("smart", "gpt-5"), PROVIDERS))
                .hasMessage("dispatch.ingress.models.smart must be auto, tier-1, tier-2 or tier-3, but was gpt-5");
    }
}
