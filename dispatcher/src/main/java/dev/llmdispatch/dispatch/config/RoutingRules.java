package dev.llmdispatch.dispatch.config;

import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;

/**
 * How jobs without an explicit tier are classified, and the optional peak-hours preference.
 *
 * @param tier1Keywords   words that mark a prompt as complex reasoning (case-insensitive)
 * @param tier1MinTokens  prompts at least this long are TIER_1 (0: never by length)
 * @param tier3MaxTokens  prompts at most this long, without a TIER_1 keyword, are TIER_3
 * @param peak            during these hours the preferred providers go first in every chain (null: none)
 */
public record RoutingRules(List<String> tier1Keywords, int tier1MinTokens, int tier3MaxTokens, PeakHours peak) {

    public static final List<String> DEFAULT_TIER1_KEYWORDS = List.of(
            "prove",
            "proof",
            "derive",
            "step by step",
            "reason about",
            "analyze",
            "analyse",
            "debug",
            "algorithm",
            "theorem",
            "optimi",
            "证明",
            "推理",
            "分析");
    public static final int DEFAULT_TIER3_MAX_TOKENS = 64;
    /** 0: length alone never makes a prompt TIER_1. */
    public static final int DEFAULT_TIER1_MIN_TOKENS = 0;

    public static final RoutingRules DEFAULTS =
            new RoutingRules(null, DEFAULT_TIER1_MIN_TOKENS, DEFAULT_TIER3_MAX_TOKENS, null);

    public RoutingRules {
        tier1Keywords = (tier1Keywords == null ? DEFAULT_TIER1_KEYWORDS : tier1Keywords)
                .stream().map(k -> k.toLowerCase(Locale.ROOT)).toList();
        if (tier1MinTokens < 0 || tier3MaxTokens < 0) {
            throw new IllegalArgumentException("dispatch.classification token thresholds must be >= 0, but were "
                    + tier1MinTokens + " and " + tier3MaxTokens);
        }
    }

    /**
     * Peak hours: {@code from}-{@code to} in {@code zone} (wrapping midnight when {@code to < from}), with the
     * providers to put first (e.g. the one without a request limit).
     */
    public record PeakHours(LocalTime from, LocalTime to, ZoneId zone, List<String> prefer) {
        public PeakHours {
            if (from == null || to == null || zone == null || prefer == null || prefer.isEmpty()) {
                throw new IllegalArgumentException("dispatch.routing.peak needs from, to, zone and prefer");
            }
            prefer = List.copyOf(prefer);
        }

        public boolean contains(LocalTime time) {
            return from.isBefore(to)
                    ? !time.isBefore(from) && time.isBefore(to)
                    : !time.isBefore(from) || time.isBefore(to);
        }
    }
}
