package dev.llmdispatch.dispatch.spi;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fleet-wide emergency flag: up while every provider is down, seen by every worker. Kept in Redis in production
 * ({@code RedisEmergencyFlag}); {@link #inMemory()} for the rules' tests.
 */
public interface EmergencyFlag {

    /** Whether the flag is up now. */
    boolean isUp();

    /** Raises the flag; true for the call that raised it, false when it was already up. */
    boolean raise(String why);

    /** Lowers the flag; true for the call that lowered it, false when it was already down. */
    boolean lower();

    /** A flag in this JVM only. */
    static EmergencyFlag inMemory() {
        AtomicBoolean up = new AtomicBoolean();
        return new EmergencyFlag() {
            @Override
            public boolean isUp() {
                return up.get();
            }

            @Override
            public boolean raise(String why) {
                return up.compareAndSet(false, true);
            }

            @Override
            public boolean lower() {
                return up.compareAndSet(true, false);
            }
        };
    }
}
