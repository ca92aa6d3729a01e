package dev.llmdispatch.dispatch;

/**
 * Emergency mode: every provider down, fleet-wide. While it is on, workers stop consuming and the HTTP ingress refuses
 * new work with a Retry-After.
 */
public interface Emergency {

    /** Whether emergency mode is on (as this worker last saw the fleet's flag). */
    boolean active();

    /** Seconds a refused producer should wait before trying again, from {@code nowMillis}. */
    long retryAfterSeconds(long nowMillis);

    /** Looks at the accounts again and raises or lowers the fleet's flag; whether it is on. */
    boolean check();
}
