package dev.llmdispatch.dispatch.config;

/** How a provider pool picks among its accounts. */
public enum Balance {
    /** Account 1 first, account 2 when 1 is full (the default). */
    ORDERED,
    ROUND_ROBIN,
    WEIGHTED,
    LEAST_INFLIGHT
}
