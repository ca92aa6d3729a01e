package dev.llmdispatch.time;

import java.time.Duration;

/**
 * How llm-dispatch's code pauses: every wait that is not a wait for a signal goes through one, so that a test can make
 * it advance a manual clock instead of passing real time (resilience4j's {@code RetryImpl} takes its sleep function
 * the same way). {@link #SYSTEM} in production.
 */
@FunctionalInterface
public interface Sleeper {

    /** {@link Thread#sleep(Duration)}. */
    Sleeper SYSTEM = Thread::sleep;

    void sleep(Duration duration) throws InterruptedException;

    /** As {@link #sleep(Duration)}, in milliseconds. */
    default void sleepMillis(long millis) throws InterruptedException {
        sleep(Duration.ofMillis(millis));
    }
}
