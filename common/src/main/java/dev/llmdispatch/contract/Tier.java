package dev.llmdispatch.contract;

/** How demanding a job is: TIER_1 complex reasoning, TIER_2 standard, TIER_3 simple. */
public enum Tier {
    TIER_1,
    TIER_2,
    TIER_3
}
