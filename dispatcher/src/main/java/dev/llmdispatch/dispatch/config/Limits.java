package dev.llmdispatch.dispatch.config;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * An account's limits; a limit left out (null) means no limit of that kind.
 *
 * @param requests    at most this many requests in any window of {@code per}
 * @param per         the request window
 * @param concurrency at most this many requests in flight
 * @param tokens      at most this many tokens in any window of {@code tokensPer}, or per day from {@code tokensReset}
 * @param tokensPer   the token window (sliding)
 * @param tokensReset when the token quota starts afresh each day, as the provider counts it: {@code "HH:mm[:ss] zone"}
 *                    ({@code "00:00 Asia/Shanghai"}); null: the window slides over {@code tokensPer}
 * @param adaptive    whether the fleet lowers the account's concurrency below {@code concurrency} when it shows
 *                    overload (429s, timeouts, rising latency) and raises it back when calls are healthy; null: yes
 *                    (when it has a concurrency limit)
 */
public record Limits(
        Integer requests,
        Duration per,
        Integer concurrency,
        Long tokens,
        Duration tokensPer,
        String tokensReset,
        Boolean adaptive) {

    public static final Limits NONE = new Limits(null, null, null, null, null, null, null);

    /** The limits of an account whose token quota slides (or that has none). */
    public static Limits of(Integer requests, Duration per, Integer concurrency, Long tokens, Duration tokensPer) {
        return new Limits(requests, per, concurrency, tokens, tokensPer, null, null);
    }

    /** Whether the account's concurrency adapts to its load (it needs a concurrency limit as its ceiling). */
    public boolean adaptiveConcurrency() {
        return concurrency != null && !Boolean.FALSE.equals(adaptive);
    }

    /**
     * For a quota that starts afresh each day: the milliseconds after UTC midnight at which its day starts, on the date
     * of {@code at} (a zone with summer time moves it); -1 for a sliding window.
     *
     * @throws IllegalArgumentException when {@code tokensReset} is not {@code "HH:mm[:ss] zone"}
     */
    public long tokenDayStartMillis(Instant at) {
        if (tokensReset == null) {
            return -1;
        }
        String[] parts = tokensReset.trim().split("\\s+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("must be \"HH:mm[:ss] zone\" such as \"00:00 Asia/Shanghai\"");
        }
        LocalTime time;
        ZoneId zone;
        try {
            time = LocalTime.parse(parts[0]);
            zone = ZoneId.of(parts[1]);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(
                    "must be \"HH:mm[:ss] zone\" such as \"00:00 Asia/Shanghai\": " + e.getMessage());
        }
        ZonedDateTime reset = at.atZone(zone).with(time);
        long millisOfDay = reset.toInstant().toEpochMilli() % 86_400_000L;
        return millisOfDay < 0 ? millisOfDay + 86_400_000L : millisOfDay;
    }

    public boolean hasRequestLimit() {
        return requests != null;
    }

    public boolean hasConcurrencyLimit() {
        return concurrency != null;
    }
}
