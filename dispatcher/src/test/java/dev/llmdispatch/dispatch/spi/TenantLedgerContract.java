package dev.llmdispatch.dispatch.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llmdispatch.dispatch.spi.TenantLedger.Admission;
import dev.llmdispatch.dispatch.spi.TenantLedger.Budget;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The tenants' budgets, one set of cases for every {@link TenantLedger}: the Lua script on Redis and the in-memory
 * ledger the rules' unit tests use, so the double cannot drift from the script. Windows are the store's own minute and
 * day (UTC); a case that needs the minute to turn runs where time can be moved ({@link #canPassTime}).
 */
public abstract class TenantLedgerContract {

    protected abstract TenantLedger ledger();

    /** Whether {@link #pass} moves the ledger's clock (a manual clock) rather than only waiting. */
    protected abstract boolean canPassTime();

    protected abstract void pass(Duration time);

    /** Millis left in the ledger's current minute. */
    protected abstract long millisLeftInMinute();

    /** Millis left in the ledger's current day (UTC). */
    protected abstract long millisLeftInDay();

    /** A tenant no other case uses (a Redis may be shared). */
    private static String tenant() {
        return "t-" + UUID.randomUUID();
    }

    private static Budget perMinute(long requests) {
        return new Budget(requests, -1, -1, -1);
    }

    @Test
    void admits_up_to_the_minutes_requests_then_names_the_budget_and_when_it_renews() {
        // not across a minute's boundary, which would start the count again
        if (millisLeftInMinute() < 5_000) {
            pass(Duration.ofMillis(millisLeftInMinute() + 100));
        }
        String t = tenant();
        TenantLedger ledger = ledger();
        for (int i = 0; i < 3; i++) {
            Admission a = ledger.admit(t, perMinute(3), "job-" + i, 0);
            assertThat(a.admitted()).isTrue();
            assertThat(a.countedBefore()).isFalse();
            assertThat(a.use().requestsThisMinute()).isEqualTo(i + 1);
        }
        Admission refused = ledger.admit(t, perMinute(3), "job-3", 0);
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.spent()).isEqualTo("requests-per-minute");
        assertThat(refused.retryAfter().toMillis()).isBetween(1L, 60_000L);
        assertThat(ledger.use(t, perMinute(3)).requestsThisMinute())
                .as("a refused request is not counted")
                .isEqualTo(3);
    }

    @Test
    void a_job_is_counted_once_whoever_admits_it_and_however_often() {
        String t = tenant();
        Budget twoADay = new Budget(-1, 2, -1, -1);
        TenantLedger ledger = ledger();
        // the ingress admits job-1, then the worker that starts it, then another after a rebalance
        Admission first = ledger.admit(t, twoADay, "job-1", 0);
        assertThat(first.admitted()).isTrue();
        assertThat(first.countedBefore()).isFalse();
        for (int i = 0; i < 2; i++) {
            Admission again = ledger.admit(t, twoADay, "job-1", 0);
            assertThat(again.admitted()).isTrue();
            assertThat(again.countedBefore()).isTrue();
        }
        assertThat(ledger.use(t, twoADay).requestsToday()).isEqualTo(1);

        assertThat(ledger.admit(t, twoADay, "job-2", 0).admitted()).isTrue();
        Admission third = ledger.admit(t, twoADay, "job-3", 0);
        assertThat(third.admitted()).isFalse();
        assertThat(third.spent()).isEqualTo("requests-per-day");
        assertThat(third.retryAfter().toMillis()).isBetween(1L, 86_400_000L);
        // a job refused is not marked: it is counted when the day renews; one counted still starts
        assertThat(ledger.admit(t, twoADay, "job-3", 0).admitted()).isFalse();
        assertThat(ledger.admit(t, twoADay, "job-2", 0).admitted()).isTrue();
        assertThat(ledger.use(t, twoADay).requestsToday()).isEqualTo(2);
    }

    @Test
    void charged_tokens_spend_the_token_budget_after_the_request_that_crossed_it() {
        if (millisLeftInMinute() < 5_000) {
            pass(Duration.ofMillis(millisLeftInMinute() + 100));
        }
        String t = tenant();
        Budget tokens = new Budget(-1, -1, 100, -1);
        TenantLedger ledger = ledger();
        assertThat(ledger.admit(t, tokens, "job-1", 0).admitted()).isTrue();
        ledger.settle(t, tokens, "job-1", 150); // the request that crosses the line is served
        assertThat(ledger.use(t, tokens).tokensThisMinute()).isEqualTo(150);
        assertThat(ledger.use(t, tokens).tokensToday()).isEqualTo(150);
        Admission next = ledger.admit(t, tokens, "job-2", 0);
        assertThat(next.admitted()).isFalse();
        assertThat(next.spent()).isEqualTo("tokens-per-minute");
        // nothing negative is charged
        ledger.settle(t, tokens, "job-1", -5);
        assertThat(ledger.use(t, tokens).tokensThisMinute()).isEqualTo(150);
    }

    /**
     * Hole 8 of issue 22: tokens were checked against what answers had used, so every job admitted before the first
     * answer was served (up to 2 x max-in-flight x workers of them). A job's estimated tokens are reserved when it is
     * admitted, and settled to what it used when it ends.
     */
    @Test
    void tokens_are_reserved_at_admission_so_jobs_admitted_before_any_answer_cannot_overspend() {
        if (millisLeftInMinute() < 5_000) {
            pass(Duration.ofMillis(millisLeftInMinute() + 100));
        }
        String t = tenant();
        Budget tokens = new Budget(-1, -1, 1_000, -1);
        TenantLedger ledger = ledger();
        int admitted = 0;
        for (int i = 0; i < 10; i++) { // ten jobs of about 600 tokens each, before any answer
            if (ledger.admit(t, tokens, "job-" + i, 600).admitted()) {
                admitted++;
            }
        }
        assertThat(admitted)
                .as("the second crosses the line and is served; the others wait")
                .isEqualTo(2);
        assertThat(ledger.use(t, tokens).tokensThisMinute()).isEqualTo(1_200);

        ledger.settle(t, tokens, "job-0", 100); // it used less than reserved: the rest comes back
        assertThat(ledger.use(t, tokens).tokensThisMinute()).isEqualTo(700);
        assertThat(ledger.admit(t, tokens, "job-2", 600).admitted()).isTrue();
        assertThat(ledger.use(t, tokens).tokensThisMinute()).isEqualTo(1_300);
        ledger.settle(t, tokens, "job-0", 0); // settled once: again (a redelivery answered from the store) adds only
        assertThat(ledger.use(t, tokens).tokensThisMinute()).isEqualTo(1_300);
        ledger.settle(t, tokens, "job-1", 0); // failed: its reservation comes back whole
        assertThat(ledger.use(t, tokens).tokensThisMinute()).isEqualTo(700);
        assertThat(ledger.admit(t, tokens, "job-2", 600).countedBefore())
                .as("counted and reserved at the ingress: the worker that starts it reserves nothing more")
                .isTrue();
        assertThat(ledger.use(t, tokens).tokensToday()).isEqualTo(700);
    }

    @Test
    void a_reservation_is_settled_in_the_minute_it_was_made_not_taken_from_the_next() {
        assumeTrue(canPassTime(), "on Redis' clock a minute cannot be skipped: the in-memory ledger runs this case");
        String t = tenant();
        Budget tokens = new Budget(-1, -1, 1_000, 100_000);
        TenantLedger ledger = ledger();
        pass(Duration.ofMillis(millisLeftInMinute() - 1_000));
        assertThat(ledger.admit(t, tokens, "job-1", 600).admitted()).isTrue();
        pass(Duration.ofSeconds(2)); // answered in the next minute
        ledger.settle(t, tokens, "job-1", 150);
        TenantLedger.Use use = ledger.use(t, tokens);
        assertThat(use.tokensThisMinute())
                .as("what it used, in the minute it was used")
                .isEqualTo(150);
        assertThat(use.tokensToday())
                .as("the day's reservation replaced by what it used")
                .isEqualTo(150);
    }

    @Test
    void a_spent_day_outranks_a_spent_minute_and_tenants_are_counted_apart() {
        if (millisLeftInMinute() < 5_000) {
            pass(Duration.ofMillis(millisLeftInMinute() + 100));
        }
        String t = tenant();
        String other = tenant();
        Budget both = new Budget(1, 1, -1, -1);
        TenantLedger ledger = ledger();
        assertThat(ledger.admit(t, both, "job-1", 0).admitted()).isTrue();
        Admission refused = ledger.admit(t, both, "job-2", 0);
        assertThat(refused.spent())
                .as("the later renewal is the one to wait for")
                .isEqualTo("requests-per-day");
        assertThat(ledger.admit(other, both, "job-1", 0).admitted()).isTrue();
        assertThat(ledger.use(other, both).requestsToday()).isEqualTo(1);
    }

    @Test
    void the_next_minute_starts_the_minutes_count_again_and_keeps_the_days() {
        assumeTrue(canPassTime(), "on Redis' clock a minute cannot be skipped: the in-memory ledger runs this case");
        String t = tenant();
        Budget budget = new Budget(1, 10, -1, -1);
        TenantLedger ledger = ledger();
        assertThat(ledger.admit(t, budget, "job-1", 0).admitted()).isTrue();
        Admission refused = ledger.admit(t, budget, "job-2", 0);
        assertThat(refused.admitted()).isFalse();
        pass(refused.retryAfter());
        Admission next = ledger.admit(t, budget, "job-2", 0);
        assertThat(next.admitted()).isTrue();
        assertThat(next.use().requestsThisMinute()).isEqualTo(1);
        assertThat(next.use().requestsToday()).isEqualTo(2);
    }

    @Test
    void a_job_counted_before_midnight_and_started_after_it_counts_on_one_day_only() {
        assumeTrue(canPassTime(), "on Redis' clock midnight cannot be reached: the in-memory ledger runs this case");
        String t = tenant();
        Budget budget = new Budget(-1, 10, -1, -1);
        TenantLedger ledger = ledger();
        // counted at the HTTP ingress just before midnight...
        pass(Duration.ofMillis(millisLeftInDay() - 60_000));
        assertThat(ledger.admit(t, budget, "late-1", 0).countedBefore()).isFalse();
        // ...and started by a worker well after it (a backlog): the same job, not a second request
        pass(Duration.ofMinutes(2));
        Admission started = ledger.admit(t, budget, "late-1", 0);
        assertThat(started.countedBefore()).as("counted before").isTrue();
        assertThat(started.use().requestsToday()).isZero();
    }
}
