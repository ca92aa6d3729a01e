package dev.llmdispatch.worker.observe.alert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;

/** The alert windows on a clock set by hand: what fires, when it fires again, when it resolves. */
class LocalAlertRulesTest {

    /** A clock that moves only when told. */
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-28T00:00:00Z"));
    // the defaults, bound as Spring binds them: failure rate > 10%, mean latency > 5 s, over 5 minutes, at least 20
    // calls, again every 30 minutes
    private final LocalAlertRules rules =
            new LocalAlertRules(new Binder().bindOrCreate("dispatch.alerts", AlertProperties.class), "w-1", clock);

    private static List<String> said(List<Alert> alerts) {
        return alerts.stream().map(a -> a.key() + " " + a.state()).toList();
    }

    @Test
    void failure_rate_fires_once_above_the_threshold_again_while_it_lasts_and_resolves_once_when_calls_age_out() {
        for (int i = 0; i < 18; i++) {
            rules.called(true, 100);
        }
        rules.called(false, 100);
        rules.called(false, 100);
        assertThat(rules.check()).as("2 of 20 is 10%: not above the threshold").isEmpty();
        rules.called(false, 100);
        assertThat(said(rules.check())).containsExactly("failure-rate FIRING");
        assertThat(rules.check()).as("once").isEmpty();

        clock.advance(Duration.ofMinutes(4));
        assertThat(rules.check())
                .as("still within the window, not yet re-alerted")
                .isEmpty();
        clock.advance(Duration.ofMinutes(1).plusMillis(1));
        assertThat(said(rules.check()))
                .as("the calls left the 5-minute window")
                .containsExactly("failure-rate RESOLVED");
        assertThat(rules.check()).isEmpty();
    }

    @Test
    void a_condition_that_lasts_is_announced_again_every_re_alert_period() {
        for (int minute = 0; minute <= 31; minute++) {
            for (int i = 0; i < 20; i++) {
                rules.called(false, 100);
            }
            List<String> now = said(rules.check());
            if (minute == 0 || minute == 30) {
                assertThat(now).as("minute %d", minute).containsExactly("failure-rate FIRING");
            } else {
                assertThat(now).as("minute %d", minute).isEmpty();
            }
            clock.advance(Duration.ofMinutes(1));
        }
    }

    @Test
    void mean_latency_fires_above_five_seconds_and_not_with_too_few_calls() {
        for (int i = 0; i < 19; i++) {
            rules.called(true, 9_000);
        }
        assertThat(rules.check()).as("19 calls: fewer than min-calls").isEmpty();
        rules.called(true, 9_000);
        assertThat(said(rules.check())).containsExactly("mean-latency FIRING");
        assertThat(rules.check().isEmpty()).isTrue();
    }

    @Test
    void a_mean_of_exactly_five_seconds_is_not_above_it() {
        for (int i = 0; i < 20; i++) {
            rules.called(true, 5_000);
        }
        assertThat(rules.check()).isEmpty();
    }
}
