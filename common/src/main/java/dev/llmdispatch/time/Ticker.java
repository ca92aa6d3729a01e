package dev.llmdispatch.time;

import java.time.Duration;

/**
 * The monotonic time every duration, deadline and lease in llm-dispatch is measured with (wall time, for what is
 * written down, is a {@link java.time.Clock}). {@link #SYSTEM} in production; tests pass a manual one that only moves
 * when they move it ({@link ManualTime}), so that time-dependent rules run in milliseconds.
 */
@FunctionalInterface
public interface Ticker {

    /** The JVM's monotonic clock. */
    Ticker SYSTEM = System::nanoTime;

    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long nanos();

    /** Whole milliseconds since {@code startNanos} (an earlier {@link #nanos()}). */
    default long millisSince(long startNanos) {
        return (nanos() - startNanos) / 1_000_000;
    }

    /** A point {@code after} from now, for {@link #passed(long)}. */
    default long deadline(Duration after) {
        return nanos() + after.toNanos();
    }

    /** Whether {@code deadlineNanos} (from {@link #deadline(Duration)}) has come; safe across the nanos' overflow. */
    default boolean passed(long deadlineNanos) {
        return nanos() - deadlineNanos >= 0;
    }
}
