package dev.llmdispatch.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time that moves only when a test moves it: one {@link Ticker}, its wall {@link #clock()}, and a {@link Sleeper} that
 * advances both instead of passing real time (db-scheduler's {@code SettableClock}, resilience4j's sleep function).
 * Code given this time runs its waits, backoffs and leases in no time, and the same way every run. For tests; shipped
 * here, beside the interfaces, so that every module's tests can use it (as db-scheduler ships its
 * {@code SettableClock}).
 */
public final class ManualTime implements Ticker, Sleeper {

    private final AtomicLong nanos = new AtomicLong();
    private final Instant origin;

    /** Starting at {@code origin} on the wall clock. */
    public ManualTime(Instant origin) {
        this.origin = origin;
    }

    /** Starting at 2026-01-01T00:00:00Z. */
    public ManualTime() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Override
    public long nanos() {
        return nanos.get();
    }

    /** Moves time on by {@code by}; returns the ticker's reading after. */
    public long advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("time does not go back, but was asked to move by " + by);
        }
        return nanos.addAndGet(by.toNanos());
    }

    /** Moves time on by {@code duration} at once (an interrupted thread is told, as {@link Thread#sleep} does). */
    @Override
    public void sleep(Duration duration) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before a sleep of " + duration);
        }
        advance(duration.isNegative() ? Duration.ZERO : duration);
    }

    /** The wall time now: the origin plus what has passed. */
    public Instant instant() {
        return origin.plusNanos(nanos.get());
    }

    /** A {@link Clock} that reads this time (UTC). */
    public Clock clock() {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                throw new UnsupportedOperationException("a manual clock is UTC");
            }

            @Override
            public Instant instant() {
                return ManualTime.this.instant();
            }
        };
    }
}
