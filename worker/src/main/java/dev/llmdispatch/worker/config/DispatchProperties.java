package dev.llmdispatch.worker.config;

import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.config.CacheSettings;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.ChainSpread;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.config.RoutingRules;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code dispatch.*} keys of CONTRACT.md as Spring binds them; {@link #toSettings()} turns them into the
 * core's validated, immutable {@link DispatchSettings}.
 *
 * <p>Every default has one home: the record that uses the setting ({@link CapacitySettings}, {@link
 * ResilienceSettings}, {@link Topics}, {@link RoutingRules}, {@link DispatchSettings}, and {@link Consumption} and
 * {@link Health} here), applied in its compact constructor when a key is left out. {@code application.yml} sets only
 * what has no default (the providers' catalogue); {@code ConfigurationDefaultsTest} holds CONTRACT.md's reference to
 * these defaults. Nested groups are never null ({@code @DefaultValue}: a group left out is bound empty).
 */
@ConfigurationProperties("dispatch")
public record DispatchProperties(
        @DefaultValue Redis redis,
        @DefaultValue TopicNames topics,
        Map<String, ProviderSettings> providers,
        @DefaultValue Routing routing,
        @DefaultValue Reply reply,
        Integer maxJobBytes,
        @DefaultValue Consumption consumer,
        @DefaultValue @NestedConfigurationProperty CapacitySettings capacity,
        @DefaultValue Classification classification,
        @DefaultValue @NestedConfigurationProperty ResilienceSettings resilience,
        @DefaultValue Health health,
        @DefaultValue @NestedConfigurationProperty CacheSettings cache,
        @DefaultValue Emergency emergency,
        @DefaultValue RequestLog requestLog,
        @DefaultValue Security security,
        Map<String, TenantProperties> tenants,
        @DefaultValue Ingress ingress) {

    /**
     * One prefix for every key of a deployment: {@code dispatch.redis.key-prefix}. The key it replaces,
     * {@code dispatch.capacity.key-prefix}, is still read when the new one is not set ({@link #deprecatedKeyPrefix()});
     * both set to different values is an error naming both.
     */
    public DispatchProperties {
        if (redis.keyPrefix() != null && !redis.keyPrefix().isBlank()) {
            String legacy = capacity.keyPrefix();
            if (!legacy.equals(CapacitySettings.DEFAULT_KEY_PREFIX) && !legacy.equals(redis.keyPrefix())) {
                throw new IllegalArgumentException("dispatch.redis.key-prefix is '" + redis.keyPrefix()
                        + "' but the deprecated dispatch.capacity.key-prefix is '" + legacy
                        + "': set dispatch.redis.key-prefix only");
            }
            capacity = capacity.withKeyPrefix(redis.keyPrefix());
        }
    }

    /** The prefix of every Redis key of this deployment (one per deployment sharing a Redis). */
    public String keyPrefix() {
        return capacity.keyPrefix();
    }

    /** Whether the prefix came from the deprecated {@code dispatch.capacity.key-prefix}. */
    public boolean deprecatedKeyPrefix() {
        return (redis.keyPrefix() == null || redis.keyPrefix().isBlank())
                && !capacity.keyPrefix().equals(CapacitySettings.DEFAULT_KEY_PREFIX);
    }

    /**
     * {@code dispatch.security.*}: who may use the admin routes (docs/security.md).
     *
     * @param adminToken the admin credential for {@code /admin/*}, the dashboard and actuator (but health): sent as
     *     {@code Authorization: Bearer <token>}, or as HTTP Basic with user {@code admin}; given as the token itself
     *     or as {@code sha256:<hex>} of it. Absent: every admin route answers 401
     * @param corsAllowedOrigins origins whose pages may call the HTTP API from a browser (none by default)
     */
    public record Security(String adminToken, List<String> corsAllowedOrigins) {

        public Security {
            adminToken = adminToken == null || adminToken.isBlank() ? null : adminToken;
            corsAllowedOrigins = corsAllowedOrigins == null ? List.of() : List.copyOf(corsAllowedOrigins);
        }

        @Override
        public String toString() { // never the token
            return "Security[adminToken=" + (adminToken == null ? "none" : "***") + ", corsAllowedOrigins="
                    + corsAllowedOrigins + "]";
        }
    }

    /**
     * {@code dispatch.tenants.<name>.*}: one tenant, its API keys and what they may do.
     *
     * @param keys its API keys, each as the key itself or {@code sha256:<hex>} of it (kept hashed in memory either way)
     * @param defaultPriority the priority of its jobs when a request names none
     * @param allowedTiers tiers its requests may ask for (empty: all)
     * @param allowedModels model names (aliases or concrete models) its requests may ask for (empty: all)
     * @param requestsPerMinute fleet-wide budget of requests a minute (absent: none)
     * @param requestsPerDay fleet-wide budget of requests a day, UTC (absent: none)
     * @param tokensPerMinute fleet-wide budget of tokens a minute, as the providers' {@code usage} counts them
     * @param tokensPerDay fleet-wide budget of tokens a day, UTC
     * @param weight its share against other tenants of the same priority (fair share)
     */
    public record TenantProperties(
            List<String> keys,
            @DefaultValue("MEDIUM") String defaultPriority,
            List<String> allowedTiers,
            List<String> allowedModels,
            Long requestsPerMinute,
            Long requestsPerDay,
            Long tokensPerMinute,
            Long tokensPerDay,
            @DefaultValue("1") int weight) {

        @Override
        public String toString() { // never a key
            return "TenantProperties[keys=" + (keys == null ? 0 : keys.size()) + " (hidden), defaultPriority="
                    + defaultPriority + ", allowedTiers=" + allowedTiers + ", allowedModels=" + allowedModels
                    + ", requestsPerMinute=" + requestsPerMinute + ", requestsPerDay=" + requestsPerDay
                    + ", tokensPerMinute=" + tokensPerMinute + ", tokensPerDay=" + tokensPerDay + ", weight=" + weight
                    + "]";
        }
    }

    /**
     * {@code dispatch.ingress.*}: the OpenAI-compatible way in ({@code /v1/*}).
     *
     * @param models model names a request may use besides the providers' own: each maps to a tier ({@code auto}: the
     *     classifier decides); {@code auto}, {@code tier-1}, {@code tier-2} and {@code tier-3} are always there
     * @param timeout how long a request waits for its answer before a 504 (the job stays queued)
     * @param maxBodyBytes the largest request body taken
     */
    public record Ingress(
            Map<String, String> models,
            @DefaultValue("120s") Duration timeout,
            @DefaultValue("4194304") int maxBodyBytes) {

        public Ingress {
            models = models == null ? Map.of() : Map.copyOf(models);
        }
    }

    /**
     * {@code dispatch.emergency.*}: what the fleet does about emergency mode (every provider down).
     *
     * @param autoReplay when it ends, the jobs dead-lettered as {@code EMERGENCY} go back on their topics by
     *     themselves, each once (false: they wait for ops)
     */
    public record Emergency(@DefaultValue("true") boolean autoReplay) {}

    /**
     * {@code dispatch.request-log.*}: the JSON line per provider call on logger {@code llm-dispatch.requests}.
     *
     * @param includePrompt whether the line carries the job's messages (never a key): off by default
     */
    public record RequestLog(boolean includePrompt) {}

    /**
     * {@code dispatch.health.*}.
     *
     * @param probeInterval how often an account in cooldown is probed, fleet-wide (doubling from the second failure)
     * @param checkInterval how often emergency mode (every enabled account in cooldown) is checked
     */
    public record Health(
            @DefaultValue("5s") Duration probeInterval,
            @DefaultValue("500ms") Duration checkInterval) {}

    /**
     * {@code dispatch.redis.*}.
     *
     * @param url       the Redis of the limits, claims and stored answers ({@code RedisUrl} reads it)
     * @param keyPrefix prefix of every key (default {@code llm-dispatch}); replaces {@code dispatch.capacity.key-prefix}
     */
    public record Redis(String url, String keyPrefix) {}

    /** {@code dispatch.classification.*}: see {@link RoutingRules}. */
    public record Classification(List<String> tier1Keywords, Integer tier1MinTokens, Integer tier3MaxTokens) {}

    /** {@code dispatch.routing.peak.*}: during these hours the preferred providers go first. */
    public record Peak(LocalTime from, LocalTime to, ZoneId zone, List<String> prefer) {}

    public record TopicNames(
            String high, String medium, String low, String results, String deadLetter, Integer partitions) {}

    /**
     * {@code dispatch.routing.*}.
     *
     * @param chains per tier (and EMBEDDING), the providers or accounts to try, in order
     * @param peak during these hours the preferred providers go first
     * @param weights per chain, its providers' shares of first choices ({@code TIER_3: {hunyuan: 70, nvidia: 30}})
     * @param leastBusy chains whose providers are tried least busy first
     */
    public record Routing(
            Map<String, List<String>> chains,
            Peak peak,
            Map<String, Map<String, Integer>> weights,
            List<String> leastBusy) {}

    /** A tenant's fair-share weight: its {@code weight}, 1 for a tenant not configured (or none). */
    public int tenantWeight(String tenant) {
        TenantProperties t = tenants == null || tenant == null ? null : tenants.get(tenant);
        return t == null ? 1 : Math.max(1, t.weight());
    }

    /** How chains spread their first choice over their providers (see {@link ChainSpread}). */
    public ChainSpread chainSpread() {
        return new ChainSpread(routing.weights(), routing.leastBusy() == null ? null : Set.copyOf(routing.leastBusy()));
    }

    public record Reply(List<String> allowedTopics) {}

    /**
     * How a worker consumes.
     *
     * @param maxInFlight       jobs one worker has started and not finished (waiting for capacity or at a provider);
     *     shared by tenants: once it is reached, a tenant below its share still starts one, up to twice it in all
     * @param bufferPerPriority records read ahead per priority before that priority's partitions pause: the depth
     *     within which tenants take turns (a tenant's flood deeper than this in a partition delays the others)
     * @param minShareMedium    the least share of starts MEDIUM gets while HIGH has work (anti-starvation)
     * @param minShareLow       the least share of starts LOW gets while higher priorities have work
     * @param pollTimeout       the consumer's poll timeout
     * @param shutdownTimeout   how long a stopping worker waits for jobs in flight
     * @param commitInterval    how often outcomes and their offsets are committed, in one transaction
     * @param transactionalIdPrefix the start of each worker's {@code transactional.id} (a random part follows)
     */
    public record Consumption(
            @DefaultValue("64") int maxInFlight,
            Integer bufferPerPriority,
            @DefaultValue("0.10") double minShareMedium,
            @DefaultValue("0.05") double minShareLow,
            @DefaultValue("100ms") Duration pollTimeout,
            @DefaultValue("30s") Duration shutdownTimeout,
            @DefaultValue("50ms") Duration commitInterval,
            @DefaultValue("llm-dispatch-worker-") String transactionalIdPrefix) {

        public Consumption {
            bufferPerPriority = bufferPerPriority == null ? Math.max(4096, 2 * maxInFlight) : bufferPerPriority;
            if (commitInterval.isNegative() || commitInterval.isZero() || commitInterval.toMillis() > 10_000) {
                throw new IllegalArgumentException(
                        "dispatch.consumer.commit-interval must be within 1ms..10s, but was " + commitInterval);
            }
            if (maxInFlight <= 0) {
                throw new IllegalArgumentException(
                        "dispatch.consumer.max-in-flight must be > 0, but was " + maxInFlight);
            }
            if (bufferPerPriority <= 0) {
                throw new IllegalArgumentException(
                        "dispatch.consumer.buffer-per-priority must be > 0, but was " + bufferPerPriority);
            }
            if (minShareMedium < 0 || minShareMedium > 0.5 || minShareLow < 0 || minShareLow > 0.5) {
                throw new IllegalArgumentException("dispatch.consumer.min-share-medium and min-share-low must be within"
                        + " 0..0.5, but were " + minShareMedium + " and " + minShareLow);
            }
        }
    }

    public RoutingRules routingRules() {
        Peak peak = routing.peak();
        return new RoutingRules(
                classification.tier1Keywords(),
                classification.tier1MinTokens() == null
                        ? RoutingRules.DEFAULT_TIER1_MIN_TOKENS
                        : classification.tier1MinTokens(),
                classification.tier3MaxTokens() == null
                        ? RoutingRules.DEFAULT_TIER3_MAX_TOKENS
                        : classification.tier3MaxTokens(),
                peak == null ? null : new RoutingRules.PeakHours(peak.from(), peak.to(), peak.zone(), peak.prefer()));
    }

    public DispatchSettings toSettings() {
        Topics t = new Topics(
                or(topics.high(), Topics.DEFAULT_HIGH),
                or(topics.medium(), Topics.DEFAULT_MEDIUM),
                or(topics.low(), Topics.DEFAULT_LOW),
                or(topics.results(), Topics.DEFAULT_RESULTS),
                or(topics.deadLetter(), Topics.DEFAULT_DEAD_LETTER),
                topics.partitions() == null ? Topics.DEFAULT_PARTITIONS : topics.partitions());
        return new DispatchSettings(
                redis.url(),
                t,
                providers,
                routing.chains(),
                reply.allowedTopics(),
                maxJobBytes == null ? 0 : maxJobBytes);
    }

    private static String or(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
