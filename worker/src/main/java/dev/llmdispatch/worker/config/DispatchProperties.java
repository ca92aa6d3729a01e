package dev.llmdispatch.worker.config;

import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.capacity.CapacitySettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.resilience.ResilienceSettings;
import dev.llmdispatch.dispatch.routing.RoutingRules;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code dispatch.*} keys of CONTRACT.md as Spring binds them; {@link #toSettings()} turns them into the
 * core's validated, immutable {@link DispatchSettings}.
 */
@ConfigurationProperties("dispatch")
public record DispatchProperties(
        Redis redis,
        TopicNames topics,
        Map<String, ProviderSettings> providers,
        Routing routing,
        Reply reply,
        Integer maxJobBytes,
        Consumption consumer,
        Capacity capacity,
        Classification classification,
        ResilienceSettings resilience,
        Health health) {

    /** {@code dispatch.health.*}: how often blocked accounts are probed and emergency mode is checked. */
    public record Health(Duration probeInterval, Duration checkInterval) {
        public Health {
            probeInterval = probeInterval == null ? Duration.ofSeconds(5) : probeInterval;
            checkInterval = checkInterval == null ? Duration.ofMillis(500) : checkInterval;
        }
    }

    public Health healthSettings() {
        return health == null ? new Health(null, null) : health;
    }

    public ResilienceSettings resilienceSettings() {
        return resilience == null ? ResilienceSettings.DEFAULTS : resilience;
    }

    public record Redis(String url) {}

    /** {@code dispatch.capacity.*}: see {@link CapacitySettings}. */
    public record Capacity(
            String keyPrefix,
            Duration windowGuard,
            Duration leaseMargin,
            Duration ratePoll,
            Duration restoreWait,
            Boolean quietOnNewState,
            Duration redisOutageWait,
            Duration priorityAging) {
        public CapacitySettings toSettings() {
            return new CapacitySettings(
                    keyPrefix,
                    windowGuard,
                    leaseMargin,
                    ratePoll,
                    restoreWait,
                    quietOnNewState,
                    redisOutageWait,
                    priorityAging);
        }
    }

    /** {@code dispatch.classification.*}: see {@link RoutingRules}. */
    public record Classification(List<String> tier1Keywords, Integer tier1MinTokens, Integer tier3MaxTokens) {}

    /** {@code dispatch.routing.peak.*}: during these hours the preferred providers go first. */
    public record Peak(LocalTime from, LocalTime to, ZoneId zone, List<String> prefer) {}

    public record TopicNames(
            String high, String medium, String low, String results, String deadLetter, Integer partitions) {}

    public record Routing(Map<String, List<String>> chains, Peak peak) {}

    public record Reply(List<String> allowedTopics) {}

    /**
     * How a worker consumes.
     *
     * @param maxInFlight       jobs one worker has started and not finished (waiting for capacity or at a provider)
     * @param bufferPerPriority records buffered per priority before that priority's partitions pause
     * @param minShareMedium    the least share of starts MEDIUM gets while HIGH has work (anti-starvation)
     * @param minShareLow       the least share of starts LOW gets while higher priorities have work
     * @param pollTimeout       the consumer's poll timeout
     * @param shutdownTimeout   how long a stopping worker waits for jobs in flight
     */
    public record Consumption(
            Integer maxInFlight,
            Integer bufferPerPriority,
            Double minShareMedium,
            Double minShareLow,
            Duration pollTimeout,
            Duration shutdownTimeout,
            Duration commitInterval) {

        public static final int DEFAULT_MAX_IN_FLIGHT = 64;
        public static final double DEFAULT_MIN_SHARE_MEDIUM = 0.10;
        public static final double DEFAULT_MIN_SHARE_LOW = 0.05;

        public Consumption {
            maxInFlight = maxInFlight == null ? DEFAULT_MAX_IN_FLIGHT : maxInFlight;
            bufferPerPriority = bufferPerPriority == null ? 2 * maxInFlight : bufferPerPriority;
            minShareMedium = minShareMedium == null ? DEFAULT_MIN_SHARE_MEDIUM : minShareMedium;
            minShareLow = minShareLow == null ? DEFAULT_MIN_SHARE_LOW : minShareLow;
            pollTimeout = pollTimeout == null ? Duration.ofMillis(100) : pollTimeout;
            shutdownTimeout = shutdownTimeout == null ? Duration.ofSeconds(30) : shutdownTimeout;
            commitInterval = commitInterval == null ? Duration.ofMillis(50) : commitInterval;
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

    public Consumption consumption() {
        return consumer == null ? new Consumption(null, null, null, null, null, null, null) : consumer;
    }

    public CapacitySettings capacitySettings() {
        return capacity == null ? CapacitySettings.DEFAULTS : capacity.toSettings();
    }

    public RoutingRules routingRules() {
        Peak peak = routing == null ? null : routing.peak();
        return new RoutingRules(
                classification == null ? null : classification.tier1Keywords(),
                classification == null || classification.tier1MinTokens() == null ? 0 : classification.tier1MinTokens(),
                classification == null || classification.tier3MaxTokens() == null
                        ? RoutingRules.DEFAULT_TIER3_MAX_TOKENS
                        : classification.tier3MaxTokens(),
                peak == null ? null : new RoutingRules.PeakHours(peak.from(), peak.to(), peak.zone(), peak.prefer()));
    }

    public DispatchSettings toSettings() {
        Topics t = topics == null
                ? Topics.DEFAULTS
                : new Topics(
                        or(topics.high(), Topics.DEFAULT_HIGH),
                        or(topics.medium(), Topics.DEFAULT_MEDIUM),
                        or(topics.low(), Topics.DEFAULT_LOW),
                        or(topics.results(), Topics.DEFAULT_RESULTS),
                        or(topics.deadLetter(), Topics.DEFAULT_DEAD_LETTER),
                        topics.partitions() == null ? Topics.DEFAULT_PARTITIONS : topics.partitions());
        return new DispatchSettings(
                redis == null ? null : redis.url(),
                t,
                providers,
                routing == null ? null : routing.chains(),
                reply == null ? null : reply.allowedTopics(),
                maxJobBytes == null ? 0 : maxJobBytes);
    }

    private static String or(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
