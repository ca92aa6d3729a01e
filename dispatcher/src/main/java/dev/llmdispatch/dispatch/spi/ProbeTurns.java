package dev.llmdispatch.dispatch.spi;

import java.time.Duration;

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
}
