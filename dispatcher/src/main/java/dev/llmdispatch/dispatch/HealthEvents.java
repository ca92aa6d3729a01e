package dev.llmdispatch.dispatch;

/** What the resilience layer tells operators about (alerts, metrics). Implementations must not block. */
public interface HealthEvents {

    /** An account's key was refused: it takes no work until a probe succeeds. */
    default void accountDisabled(String account, String why) {}

    /** An account failed often enough to open its circuit: the fleet skips it until a probe succeeds. */
    default void circuitOpened(String account, String why) {}

    /** A blocked account answered a probe: it takes work again. */
    default void accountRecovered(String account) {}

    /** A health probe of a blocked account found the account healthy (true) or not. */
    default void probed(String account, boolean ok) {}

    /** Every provider is unavailable (true), or one came back (false): on every worker that sees it. */
    default void emergency(boolean active, String why) {}

    /**
     * This worker raised (true) or lowered (false) the fleet-wide emergency flag: on one worker per change, to
     * announce it to producers and to act on it once for the fleet.
     */
    default void emergencyFlagChanged(boolean raised) {}

    HealthEvents NONE = new HealthEvents() {};
}
