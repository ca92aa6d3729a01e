package dev.llmdispatch.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ManualTimeTest {

    @Test
    void a_sleep_moves_the_ticker_and_the_wall_clock_and_nothing_else_does() throws InterruptedException {
        ManualTime time = new ManualTime(Instant.parse("2026-12-07T00:00:00Z"));
        long start = time.nanos();
        long deadline = time.deadline(Duration.ofSeconds(2));
        assertThat(time.passed(deadline)).isFalse();

        time.sleep(Duration.ofMillis(1500));
        assertThat(time.millisSince(start)).isEqualTo(1500);
        assertThat(time.clock().instant()).isEqualTo(Instant.parse("2026-12-07T00:00:01.500Z"));
        assertThat(time.passed(deadline)).isFalse();

        time.sleepMillis(500);
        assertThat(time.passed(deadline)).isTrue();
        assertThat(time.millisSince(start)).isEqualTo(2000);
    }

    @Test
    void an_interrupted_thread_does_not_sleep_and_time_cannot_go_back() {
        ManualTime time = new ManualTime();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> time.sleep(Duration.ofSeconds(1))).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse(); // cleared, as Thread.sleep clears it
        assertThat(time.nanos()).isZero();
        assertThatThrownBy(() -> time.advance(Duration.ofNanos(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not go back");
    }

    @Test
    void a_deadline_holds_across_the_tickers_overflow() {
        Ticker nearTheEnd = () -> Long.MAX_VALUE - 10;
        long deadline = nearTheEnd.deadline(Duration.ofNanos(100)); // wraps to a negative number
        assertThat(deadline).isNegative();
        assertThat(nearTheEnd.passed(deadline)).isFalse();
        Ticker after = () -> Long.MIN_VALUE + 95; // 105 ns later, wrapped
        assertThat(after.passed(deadline)).isTrue();
    }
}
