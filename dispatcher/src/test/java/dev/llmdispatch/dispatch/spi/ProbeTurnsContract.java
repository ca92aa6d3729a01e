package dev.llmdispatch.dispatch.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Whose turn it is to probe, one set of cases for every {@link ProbeTurns}: Redis and the in-memory turns the rules'
 * unit tests use. One worker holds an account's turn until its hold ends; failures count in a row until a success.
 */
public abstract class ProbeTurnsContract {

    /** A worker's view of the turns; every view of one test shares its state. */
    protected abstract ProbeTurns view();

    private final String account = "acct-" + UUID.randomUUID();

    @Test
    void one_worker_holds_the_turn_until_its_hold_ends() {
        ProbeTurns one = view();
        ProbeTurns two = view();
        assertThat(one.take(account, Duration.ofMillis(300))).isTrue();
        assertThat(two.take(account, Duration.ofMillis(300))).isFalse();
        assertThat(one.take(account, Duration.ofMillis(300)))
                .as("not twice, even by its holder")
                .isFalse();
        assertThat(two.take("other-" + account, Duration.ofMillis(300)))
                .as("turns are per account")
                .isTrue();
        await().atMost(Duration.ofSeconds(3)).until(() -> two.take(account, Duration.ofSeconds(30)));
        assertThat(one.take(account, Duration.ofSeconds(30))).isFalse();
    }

    @Test
    void a_hold_after_a_failed_probe_keeps_the_turn_longer() {
        ProbeTurns one = view();
        ProbeTurns two = view();
        assertThat(one.take(account, Duration.ofMillis(100))).isTrue();
        one.hold(account, Duration.ofSeconds(30));
        // well past the first hold, the turn is still held
        await().during(Duration.ofMillis(400))
                .atMost(Duration.ofSeconds(2))
                .until(() -> !two.take(account, Duration.ofMillis(100)));
        one.hold(account, Duration.ofMillis(100));
        await().atMost(Duration.ofSeconds(3)).until(() -> two.take(account, Duration.ofSeconds(30)));
    }

    @Test
    void failures_count_in_a_row_across_workers_until_a_success() {
        ProbeTurns one = view();
        ProbeTurns two = view();
        assertThat(one.failed(account, Duration.ofMinutes(1))).isEqualTo(1);
        assertThat(two.failed(account, Duration.ofMinutes(1))).isEqualTo(2);
        assertThat(one.failed("other-" + account, Duration.ofMinutes(1))).isEqualTo(1);
        two.succeeded(account);
        assertThat(one.failed(account, Duration.ofMinutes(1))).isEqualTo(1);
    }
}
