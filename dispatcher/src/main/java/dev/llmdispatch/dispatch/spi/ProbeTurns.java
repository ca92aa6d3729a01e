package dev.llmdispatch.dispatch.spi;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whose turn it is to probe a blocked account, and how many of its probes failed in a row, shared by the fleet, so
 * that one worker probes each account per interval, however many run. Kept in Redis in production
 * ({@code RedisProbeTurns}).
 */
public interface ProbeTurns {

    /** Takes the account's turn for {@code hold} unless another worker holds it; true when taken. */
    boolean take(String account, Duration hold);

    /** Holds the turn taken for {@code hold} from now (a backoff after a failed probe). */
    void hold(String account, Duration hold);

    /** One more failed probe of the account, the count kept {@code kept}; returns the failures in a row. */
    long failed(String account, Duration kept);

    /** A probe succeeded: the account's failures are forgotten. */
    void succeeded(String account);

    /** Turns kept in this JVM, timed by {@code clock} (a failure count is kept until the next success). */
    static ProbeTurns inMemory(Clock clock) {
        Map<String, Instant> heldUntil = new ConcurrentHashMap<>();
        Map<String, Long> failures = new ConcurrentHashMap<>();
        return new ProbeTurns() {
            @Override
            public boolean take(String account, Duration hold) {
                Instant now = clock.instant();
                Instant until = now.plus(hold);
                Instant after = heldUntil.merge(account, until, (held, mine) -> held.isAfter(now) ? held : mine);
                return after == until;
            }

            @Override
            public void hold(String account, Duration hold) {
                heldUntil.put(account, clock.instant().plus(hold));
            }

            @Override
            public long failed(String account, Duration kept) {
                return failures.merge(account, 1L, Long::sum);
            }

            @Override
            public void succeeded(String account) {
                failures.remove(account);
            }
        };
    }
}
