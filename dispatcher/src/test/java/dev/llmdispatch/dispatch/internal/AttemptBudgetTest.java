package dev.llmdispatch.dispatch.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.TestSettings;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.internal.AttemptBudget.Next;
import dev.llmdispatch.dispatch.internal.resilience.Outcome;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;

/** The retry budget, without a provider: which account is tried next after each kind of failure. */
class AttemptBudgetTest {

    private static Candidate candidate(String provider, String account) {
        ProviderSettings settings = TestSettings.provider(
                "http://127.0.0.1:9/v1",
                Set.of(Capability.CHAT),
                8_000,
                Map.of("chat", "m"),
                Map.of(),
                TestSettings.account(account, "k"));
        return new Candidate(provider, settings, settings.accounts().getFirst());
    }

    private static final Candidate NVIDIA_1 = candidate("nvidia", "nvidia-1");
    private static final Candidate NVIDIA_2 = candidate("nvidia", "nvidia-2");
    private static final Candidate HUNYUAN_1 = candidate("hunyuan", "hunyuan-1");
    private static final List<Candidate> ROUTE = List.of(NVIDIA_1, NVIDIA_2, HUNYUAN_1);

    @Test
    void a_transient_error_is_retried_on_the_same_account_until_its_share_is_spent() {
        AttemptBudget budget = new AttemptBudget(3, List.of());
        assertThat(budget.failed(NVIDIA_1, new Outcome.Retry("server_error"), ROUTE))
                .isEqualTo(Next.RETRY_AFTER_BACKOFF);
        assertThat(budget.failed(NVIDIA_1, new Outcome.Retry("server_error"), ROUTE))
                .isEqualTo(Next.RETRY_AFTER_BACKOFF);
        assertThat(budget.calls("nvidia-1")).isEqualTo(2);
        assertThat(budget.allowed(ROUTE)).containsExactly(NVIDIA_1, NVIDIA_2, HUNYUAN_1);
        // the third call is its last: the account is out, the others are next
        assertThat(budget.failed(NVIDIA_1, new Outcome.Retry("timeout"), ROUTE)).isEqualTo(Next.MOVE_ON);
        assertThat(budget.allowed(ROUTE)).containsExactly(NVIDIA_2, HUNYUAN_1);
    }

    @Test
    void a_rate_limited_account_is_left_for_the_next_one_and_out_after_its_share() {
        AttemptBudget budget = new AttemptBudget(2, List.of());
        assertThat(budget.failed(NVIDIA_1, new Outcome.RateLimited("rate_limited", Duration.ofSeconds(1)), ROUTE))
                .isEqualTo(Next.MOVE_ON);
        assertThat(budget.allowed(ROUTE))
                .as("its rest is the cooldowns' business")
                .contains(NVIDIA_1);
        budget.failed(NVIDIA_1, new Outcome.RateLimited("rate_limited", Duration.ofSeconds(1)), ROUTE);
        assertThat(budget.allowed(ROUTE)).containsExactly(NVIDIA_2, HUNYUAN_1);
    }

    @Test
    void a_refused_key_or_a_spent_quota_rules_the_account_out_at_once() {
        AttemptBudget budget = new AttemptBudget(3, List.of());
        assertThat(budget.failed(NVIDIA_1, new Outcome.Unauthorized("unauthorized"), ROUTE))
                .isEqualTo(Next.MOVE_ON);
        assertThat(budget.failed(HUNYUAN_1, new Outcome.QuotaExhausted("quota", Duration.ofHours(1)), ROUTE))
                .isEqualTo(Next.MOVE_ON);
        assertThat(budget.allowed(ROUTE)).containsExactly(NVIDIA_2);
    }

    @Test
    void a_provider_that_cannot_serve_the_request_rules_out_all_its_accounts() {
        AttemptBudget budget = new AttemptBudget(3, List.of());
        assertThat(budget.failed(NVIDIA_1, new Outcome.NextProvider("context_length_exceeded"), ROUTE))
                .isEqualTo(Next.MOVE_ON);
        assertThat(budget.allowed(ROUTE)).containsExactly(HUNYUAN_1);
    }

    @Test
    void a_request_the_provider_refuses_itself_is_given_up() {
        AttemptBudget budget = new AttemptBudget(3, List.of());
        assertThat(budget.failed(HUNYUAN_1, new Outcome.Rejected("bad_request", "no such parameter"), ROUTE))
                .isEqualTo(Next.GIVE_UP);
        assertThatThrownBy(() ->
                        budget.failed(HUNYUAN_1, new Outcome.Success(JsonNodeFactory.instance.objectNode()), ROUTE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_replayed_job_brings_the_attempts_of_its_earlier_runs() {
        List<JobResult.Attempt> before = List.of(
                new JobResult.Attempt("nvidia-1", 503, "server_error", 10),
                new JobResult.Attempt("nvidia-1", 503, "server_error", 10),
                new JobResult.Attempt("hunyuan-1", 500, "server_error", 10));
        AttemptBudget budget = new AttemptBudget(2, before);
        assertThat(budget.allowed(ROUTE)).containsExactly(NVIDIA_2, HUNYUAN_1);
        assertThat(budget.failed(HUNYUAN_1, new Outcome.Retry("server_error"), ROUTE))
                .isEqualTo(Next.MOVE_ON);
        assertThat(budget.allowed(ROUTE)).containsExactly(NVIDIA_2);
    }
}
