package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.InvalidConfigurationException;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DispatchSettingsTest {

    private static final String URL = "http://127.0.0.1:1/v1";

    @Test
    void accepts_the_mission_configuration_with_default_chains() {
        DispatchSettings settings = TestSettings.settings(TestSettings.defaultProviders(URL));
        assertThat(settings.chains()).containsKeys("TIER_1", "TIER_2", "TIER_3", "EMBEDDING");
        assertThat(settings.providerOf("nvidia-2")).isEqualTo("nvidia");
        assertThat(settings.redisUrl()).isEqualTo(DispatchSettings.DEFAULT_REDIS_URL);
    }

    @Test
    void names_the_key_and_value_of_a_negative_limit() {
        Map<String, ProviderSettings> providers = new LinkedHashMap<>(TestSettings.defaultProviders(URL));
        ProviderSettings nvidia = providers.get("nvidia");
        List<AccountSettings> accounts = new ArrayList<>(nvidia.accounts());
        accounts.set(
                1, new AccountSettings("nvidia-2", "k", Limits.of(-1, Duration.ofSeconds(6), 0, null, null), null));
        providers.put("nvidia", withAccounts(nvidia, accounts));

        assertThatThrownBy(() -> TestSettings.settings(providers))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("dispatch.providers.nvidia.accounts[1].limits.requests must be > 0, but was -1")
                .hasMessageContaining(
                        "dispatch.providers.nvidia.accounts[1].limits.concurrency must be > 0, but was 0");
    }

    @Test
    void names_the_key_of_a_daily_token_reset_that_cannot_be_read() {
        Map<String, ProviderSettings> providers = new LinkedHashMap<>(TestSettings.defaultProviders(URL));
        ProviderSettings nvidia = providers.get("nvidia");
        List<AccountSettings> accounts = new ArrayList<>(nvidia.accounts());
        accounts.set(
                0,
                new AccountSettings(
                        "nvidia-1",
                        "k",
                        new Limits(null, null, 5, 1000L, Duration.ofHours(6), "midnight Mars/Base", null),
                        null));
        accounts.set(
                1,
                new AccountSettings("nvidia-2", "k", new Limits(null, null, 5, null, null, "00:00 UTC", null), null));
        providers.put("nvidia", withAccounts(nvidia, accounts));

        assertThatThrownBy(() -> TestSettings.settings(providers))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(
                        "dispatch.providers.nvidia.accounts[0].limits.tokens-reset must be \"HH:mm[:ss] zone\"")
                .hasMessageContaining("but was midnight Mars/Base")
                .hasMessageContaining("accounts[0].limits.tokens-per must be 1d (or left out) with tokens-reset")
                .hasMessageContaining("accounts[1].limits.tokens-reset needs tokens");
        assertThat(new Limits(null, null, null, 10L, null, "00:00 Asia/Shanghai", null)
                        .tokenDayStartMillis(Instant.now()))
                .as("Shanghai's midnight is 16:00 UTC")
                .isEqualTo(Duration.ofHours(16).toMillis());
    }

    @Test
    void names_an_unknown_account_in_a_chain() {
        assertThatThrownBy(() -> new DispatchSettings(
                        null,
                        null,
                        TestSettings.defaultProviders(URL),
                        Map.of("TIER_1", List.of("nvidia", "nvidia-9")),
                        null,
                        0))
                .hasMessageContaining("dispatch.routing.chains.TIER_1[1] names no provider or account: nvidia-9");
    }

    @Test
    void names_duplicate_account_ids() {
        Map<String, ProviderSettings> providers = new LinkedHashMap<>(TestSettings.defaultProviders(URL));
        providers.put(
                "hunyuan", withAccounts(providers.get("hunyuan"), List.of(TestSettings.account("nvidia-1", "k"))));
        assertThatThrownBy(() -> TestSettings.settings(providers))
                .hasMessageContaining(
                        "dispatch.providers.hunyuan.accounts[0].id must be unique across providers, but nvidia-1 appears twice");
    }

    @Test
    void names_a_bad_base_url_and_redis_url() {
        Map<String, ProviderSettings> providers = new LinkedHashMap<>(TestSettings.defaultProviders(URL));
        ProviderSettings h = providers.get("hunyuan");
        providers.put(
                "hunyuan",
                new ProviderSettings(
                        "ftp://x", h.capabilities(), null, h.models(), null, null, null, null, h.accounts()));
        assertThatThrownBy(() -> new DispatchSettings("localhost:6379", null, providers, null, null, 0))
                .hasMessageContaining("dispatch.providers.hunyuan.base-url must be an http(s) URL, but was ftp://x")
                .hasMessageContaining("dispatch.redis.url must be redis://host:port, rediss://..., redis-cluster://")
                .hasMessageContaining("but was 'localhost:6379'");
    }

    @Test
    void redacts_keys_and_passwords_when_described() {
        DispatchSettings settings = new DispatchSettings(
                "redis://app:s3cret@redis:6379", null, TestSettings.defaultProviders(URL), null, null, 0);
        String text = settings.describe();
        assertThat(text).doesNotContain("sim-nvidia-1", "s3cret").contains("apiKey=****", "redis://****@redis:6379");
    }

    @Test
    void lists_accounts_without_a_key_as_disabled() {
        Map<String, ProviderSettings> providers = new LinkedHashMap<>(TestSettings.defaultProviders(URL));
        providers.put(
                "hunyuan", withAccounts(providers.get("hunyuan"), List.of(TestSettings.account("hunyuan-1", ""))));
        assertThat(TestSettings.settings(providers).disabledAccounts()).containsExactly("hunyuan-1");
    }

    private static ProviderSettings withAccounts(ProviderSettings p, List<AccountSettings> accounts) {
        return new ProviderSettings(
                p.baseUrl(),
                p.capabilities(),
                p.contextWindow(),
                p.models(),
                p.modelAliases(),
                p.thinkingParams(),
                p.balance(),
                p.timeout(),
                accounts);
    }

    @Test
    void a_lease_margin_no_larger_than_the_window_guard_is_refused_naming_both() {
        assertThatThrownBy(() -> CapacitySettings.of("p", Duration.ofMillis(500), Duration.ofMillis(500), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dispatch.capacity.lease-margin (PT0.5S) must be larger than")
                .hasMessageContaining("dispatch.capacity.window-guard (PT0.5S)");
        assertThat(CapacitySettings.of("p", Duration.ofMillis(500), Duration.ofMillis(501), null)
                        .leaseMargin())
                .isEqualTo(Duration.ofMillis(501));
    }
}
