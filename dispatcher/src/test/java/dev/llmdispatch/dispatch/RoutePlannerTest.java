package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.config.ChainSpread;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.InvalidConfigurationException;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.config.RoutingRules;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import dev.llmdispatch.dispatch.internal.routing.ProviderLoad;
import dev.llmdispatch.dispatch.internal.routing.Route;
import dev.llmdispatch.dispatch.internal.routing.RoutePlanner;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

class RoutePlannerTest {

    private static final String URL = "http://127.0.0.1:9/v1";
    private final DispatchSettings settings = settingsWithWindows();
    private final RoutePlanner planner = new RoutePlanner(settings);

    private static DispatchSettings settingsWithWindows() {
        Map<String, ProviderSettings> providers = new LinkedHashMap<>(TestSettings.defaultProviders(URL));
        ProviderSettings n = providers.get("nvidia");
        providers.put(
                "nvidia",
                new ProviderSettings(
                        n.baseUrl(),
                        n.capabilities(),
                        128_000,
                        n.models(),
                        null,
                        n.thinkingParams(),
                        null,
                        null,
                        n.accounts()));
        ProviderSettings h = providers.get("hunyuan");
        providers.put(
                "hunyuan",
                new ProviderSettings(
                        h.baseUrl(), h.capabilities(), 256_000, h.models(), null, null, null, null, h.accounts()));
        return TestSettings.settings(providers);
    }

    private static List<String> accounts(Route route) {
        return route.candidates().stream().map(Candidate::accountId).toList();
    }

    @Test
    void routes_each_tier_down_its_chain() {
        assertThat(accounts(planner.planRoute(
                        Job.chat("a", "x").toBuilder().tier(Tier.TIER_1).build())))
                .containsExactly("nvidia-1", "nvidia-2", "hunyuan-1");
        assertThat(accounts(planner.planRoute(
                        Job.chat("b", "x").toBuilder().tier(Tier.TIER_2).build())))
                .containsExactly("hunyuan-1", "nvidia-1", "nvidia-2");
        assertThat(accounts(planner.planRoute(Job.embedding("c", "x"))))
                .containsExactly("siliconflow-1", "nvidia-1", "nvidia-2");
    }

    @Test
    void sends_thinking_jobs_only_where_the_capability_is() {
        Route route = planner.planRoute(
                Job.chat("t", "x").toBuilder().tier(Tier.TIER_3).thinking(true).build());
        assertThat(accounts(route)).containsExactly("nvidia-1", "nvidia-2");
    }

    @Test
    void classifies_jobs_without_a_tier() {
        assertThat(planner.settleTier(Job.chat("a", "Prove that the square root of 2 is irrational")))
                .isEqualTo(Tier.TIER_1);
        assertThat(planner.settleTier(Job.chat("b", "Hi there"))).isEqualTo(Tier.TIER_3);
        assertThat(planner.settleTier(Job.chat("c", "Summarise this text: " + "lorem ipsum ".repeat(50))))
                .isEqualTo(Tier.TIER_2);
        assertThat(planner.settleTier(
                        Job.chat("d", "hi").toBuilder().thinking(true).build()))
                .isEqualTo(Tier.TIER_1);
        assertThat(planner.settleTier(
                        Job.chat("e", "prove it").toBuilder().tier(Tier.TIER_3).build()))
                .isEqualTo(Tier.TIER_3);
        RoutePlanner byLength =
                new RoutePlanner(settings, new RoutingRules(List.of(), 100, 10, null), Clock.systemUTC());
        assertThat(byLength.settleTier(Job.chat("f", "word ".repeat(200)))).isEqualTo(Tier.TIER_1);
    }

    /**
     * Hole 6 of issue 22, in part: a job larger than an account's whole token quota was clamped to the quota and
     * granted into an empty window, so the provider counted more than its quota. It is not routed there.
     */
    @Test
    void skips_accounts_whose_token_quota_cannot_hold_the_job() {
        RoutePlanner quota = new RoutePlanner(TestSettings.settings(
                TestSettings.defaultProviders(URL, Limits.of(null, null, null, 1_000L, Duration.ofMinutes(1)))));
        assertThat(accounts(quota.planRoute(Job.chat("fits", "x".repeat(4 * 900)).toBuilder()
                        .tier(Tier.TIER_1)
                        .build())))
                .containsExactly("nvidia-1", "nvidia-2", "hunyuan-1");
        Route tooLarge = quota.planRoute(Job.chat("large", "x".repeat(4 * 1_200)).toBuilder()
                .tier(Tier.TIER_1)
                .build());
        assertThat(tooLarge.isEmpty())
                .as("about %d tokens, a quota of 1,000", tooLarge.tokens())
                .isTrue();
    }

    @Test
    void skips_accounts_whose_context_window_cannot_hold_the_prompt() {
        String big = "x".repeat(4 * 150_000);
        assertThat(accounts(planner.planRoute(
                        Job.chat("big", big).toBuilder().tier(Tier.TIER_1).build())))
                .containsExactly("hunyuan-1");
        assertThat(planner.planRoute(Job.chat("huge", "x".repeat(4 * 300_000))).isEmpty())
                .isTrue();
        ObjectNode request = JsonNodeFactory.instance.objectNode().put("max_tokens", 130_000);
        request.putArray("messages").addObject().put("role", "user").put("content", "short");
        assertThat(accounts(planner.planRoute(Job.builder("long-answer")
                        .request(request)
                        .tier(Tier.TIER_1)
                        .build())))
                .containsExactly("hunyuan-1");
        // OpenAI's newer name for the answer's allowance counts the same (and the larger of the two when both are set)
        ObjectNode newer = JsonNodeFactory.instance.objectNode().put("max_completion_tokens", 130_000);
        newer.putArray("messages").addObject().put("role", "user").put("content", "short");
        Job longAnswer =
                Job.builder("long-answer-2").request(newer).tier(Tier.TIER_1).build();
        assertThat(accounts(planner.planRoute(longAnswer))).containsExactly("hunyuan-1");
        assertThat(planner.planRoute(longAnswer).tokens()).isEqualTo(130_000 + 2 + 4);
        newer.put("max_tokens", 10);
        assertThat(planner.planRoute(longAnswer).tokens()).isEqualTo(130_000 + 2 + 4);
        // an allowance near the int range does not wrap around to a size every window holds
        newer.put("max_tokens", Integer.MAX_VALUE);
        assertThat(planner.planRoute(longAnswer).isEmpty()).isTrue();
    }

    @Test
    void puts_the_preferred_provider_first_in_peak_hours() {
        RoutingRules peak = new RoutingRules(
                null,
                0,
                64,
                new RoutingRules.PeakHours(
                        LocalTime.of(9, 0), LocalTime.of(18, 0), ZoneId.of("Asia/Shanghai"), List.of("hunyuan")));
        Job tier1 = Job.chat("p", "x").toBuilder().tier(Tier.TIER_1).build();
        Clock noonShanghai = Clock.fixed(Instant.parse("2026-11-26T04:00:00Z"), ZoneOffset.UTC);
        Clock nightShanghai = Clock.fixed(Instant.parse("2026-11-26T15:00:00Z"), ZoneOffset.UTC);
        assertThat(accounts(new RoutePlanner(settings, peak, noonShanghai).planRoute(tier1)))
                .containsExactly("hunyuan-1", "nvidia-1", "nvidia-2");
        assertThat(accounts(new RoutePlanner(settings, peak, nightShanghai).planRoute(tier1)))
                .containsExactly("nvidia-1", "nvidia-2", "hunyuan-1");
    }

    @Test
    void a_weighted_chain_starts_exactly_its_shares_with_the_others_behind_as_fallbacks() {
        RoutePlanner split = new RoutePlanner(
                settings,
                RoutingRules.DEFAULTS,
                Clock.systemUTC(),
                new ChainSpread(Map.of("TIER_3", Map.of("hunyuan", 70, "nvidia", 30)), null),
                ProviderLoad.NONE);
        Job simple = Job.chat("s", "hi").toBuilder().tier(Tier.TIER_3).build();
        Map<String, Integer> firsts = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            Route route = split.planRoute(simple);
            firsts.merge(route.candidates().get(0).provider(), 1, Integer::sum);
            assertThat(route.candidates())
                    .extracting(Candidate::provider)
                    .containsOnly("hunyuan", "nvidia")
                    .hasSize(3);
        }
        assertThat(firsts).containsExactlyInAnyOrderEntriesOf(Map.of("hunyuan", 700, "nvidia", 300));
        // other chains keep their order
        assertThat(accounts(split.planRoute(
                        Job.chat("t", "hi").toBuilder().tier(Tier.TIER_2).build())))
                .containsExactly("hunyuan-1", "nvidia-1", "nvidia-2");
    }

    @Test
    void a_least_busy_chain_starts_with_the_provider_that_has_the_most_room() {
        Map<String, Double> busy = new HashMap<>(Map.of("nvidia", 0.2, "hunyuan", 0.8));
        RoutePlanner leastBusy = new RoutePlanner(
                settings, RoutingRules.DEFAULTS, Clock.systemUTC(), new ChainSpread(null, Set.of("tier-2")), busy::get);
        Job job = Job.chat("t", "hi").toBuilder().tier(Tier.TIER_2).build();
        assertThat(accounts(leastBusy.planRoute(job))).containsExactly("nvidia-1", "nvidia-2", "hunyuan-1");
        busy.put("nvidia", 0.9);
        assertThat(accounts(leastBusy.planRoute(job))).containsExactly("hunyuan-1", "nvidia-1", "nvidia-2");
    }

    @Test
    void a_spread_that_does_not_fit_the_chains_is_refused_naming_each_key() {
        ChainSpread wrong = new ChainSpread(
                Map.of("TIER_3", Map.of("siliconflow", 50, "hunyuan", 0), "TIER_9", Map.of("hunyuan", 1)),
                Set.of("TIER_8"));
        assertThatThrownBy(() ->
                        new RoutePlanner(settings, RoutingRules.DEFAULTS, Clock.systemUTC(), wrong, ProviderLoad.NONE))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("dispatch.routing.weights.TIER_3.siliconflow: not in the chain")
                .hasMessageContaining("dispatch.routing.weights.TIER_3.hunyuan must be > 0")
                .hasMessageContaining("dispatch.routing.weights.TIER_9: no such chain")
                .hasMessageContaining("dispatch.routing.least-busy: no such chain TIER_8");
    }
}
