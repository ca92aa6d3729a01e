package dev.llmdispatch.dispatch.internal;

import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.dispatch.internal.resilience.Outcome;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A job's retry budget: how many calls each account has had (a replayed job brings the attempts of its earlier runs),
 * and which accounts it may no longer try. After a failed attempt, {@link #failed} says what comes next: give up (the
 * provider refused the request itself), try the same account again after a backoff (a transient error, within
 * {@code attemptsPerAccount}), or go on to the next account (the account is out: spent, refused, or its provider
 * unable to serve this request).
 */
final class AttemptBudget {

    /** What to do after a failed attempt. */
    enum Next {
        /** The request itself was refused: no account will take it. */
        GIVE_UP,
        /** Try again, the same account included, after a backoff for the {@code calls}-th call. */
        RETRY_AFTER_BACKOFF,
        /** Try the accounts still allowed, without waiting. */
        MOVE_ON
    }

    private final int attemptsPerAccount;
    private final Map<String, Integer> calls = new HashMap<>();
    private final Set<String> excluded = new HashSet<>();

    AttemptBudget(int attemptsPerAccount, List<JobResult.Attempt> before) {
        this.attemptsPerAccount = attemptsPerAccount;
        for (JobResult.Attempt a : before) {
            if (calls.merge(a.account(), 1, Integer::sum) >= attemptsPerAccount) {
                excluded.add(a.account());
            }
        }
    }

    /** The candidates whose accounts may still be tried, in their order. */
    List<Candidate> allowed(List<Candidate> candidates) {
        return candidates.stream()
                .filter(s -> !excluded.contains(s.accountId()))
                .toList();
    }

    /** Calls made on this account so far. */
    int calls(String accountId) {
        return calls.getOrDefault(accountId, 0);
    }

    /**
     * Counts a failed attempt on {@code candidate} and says what comes next.
     *
     * @param route every candidate of the job's route (a provider that cannot serve the request rules out all its accounts)
     */
    Next failed(Candidate candidate, Outcome outcome, List<Candidate> route) {
        int n = calls.merge(candidate.accountId(), 1, Integer::sum);
        return switch (outcome) {
            case Outcome.Rejected r -> Next.GIVE_UP;
            case Outcome.NextProvider p -> {
                route.stream()
                        .filter(s -> s.provider().equals(candidate.provider()))
                        .forEach(s -> excluded.add(s.accountId()));
                yield Next.MOVE_ON;
            }
            case Outcome.Unauthorized u -> {
                excluded.add(candidate.accountId());
                yield Next.MOVE_ON;
            }
            case Outcome.QuotaExhausted q -> {
                excluded.add(candidate.accountId());
                yield Next.MOVE_ON;
            }
            case Outcome.RateLimited r -> {
                // its cooldown is kept by Cooldowns; here only the count
                if (n >= attemptsPerAccount) {
                    excluded.add(candidate.accountId());
                }
                yield Next.MOVE_ON;
            }
            case Outcome.Retry r -> {
                if (n >= attemptsPerAccount) {
                    excluded.add(candidate.accountId());
                    yield Next.MOVE_ON;
                }
                yield Next.RETRY_AFTER_BACKOFF;
            }
            case Outcome.Success s -> throw new IllegalArgumentException("a success is not a failed attempt");
        };
    }
}
