package dev.llmdispatch.dispatch.config;

import java.time.Duration;

/**
 * An account's limits; a limit left out (null) means no limit of that kind.
 *
 * @param requests    at most this many requests in any window of {@code per}
 * @param per         the request window
 * @param concurrency at most this many requests in flight
 * @param tokens      at most this many tokens in any window of {@code tokensPer}
 * @param tokensPer   the token window
 */
public record Limits(Integer requests, Duration per, Integer concurrency, Long tokens, Duration tokensPer) {

    public static final Limits NONE = new Limits(null, null, null, null, null);

    public boolean hasRequestLimit() {
        return requests != null;
    }

    public boolean hasConcurrencyLimit() {
        return concurrency != null;
    }
}
