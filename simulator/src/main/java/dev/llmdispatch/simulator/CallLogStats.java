package dev.llmdispatch.simulator;

import java.util.List;
import java.util.Set;

/** Figures over a stretch of the call log: how much of an account's limits the callers used. */
public final class CallLogStats {

    private static final Set<String> REFUSED = Set.of(CallLog.RATE_LIMITED, CallLog.CONCURRENCY_LIMITED,
            CallLog.UNAUTHORIZED);

    private final List<CallLog.Call> calls;

    public CallLogStats(List<CallLog.Call> calls) {
        this.calls = List.copyOf(calls);
    }

    /** Whether the account's limits let the call in (it counts against them). */
    public static boolean admitted(CallLog.Call call) {
        return !REFUSED.contains(call.outcome());
    }

    /** Arrival of the account's first admitted call, epoch ms, or -1. */
    public long firstAdmitted(String account) {
        return calls.stream().filter(c -> account.equals(c.account()) && admitted(c) && !c.path().endsWith("/models"))
                .mapToLong(CallLog.Call::atMillis).min().orElse(-1);
    }

    /** Admitted calls of an account arriving in {@code [fromMillis, toMillis)}. */
    public long admittedIn(String account, long fromMillis, long toMillis) {
        return calls.stream().filter(c -> account.equals(c.account()) && admitted(c)
                && c.atMillis() >= fromMillis && c.atMillis() < toMillis).count();
    }

    /** Calls of an account refused by its limits (429 from the limits, not injected). */
    public long refusedByLimits(String account) {
        return calls.stream().filter(c -> account.equals(c.account())
                && (c.outcome().equals(CallLog.RATE_LIMITED) || c.outcome().equals(CallLog.CONCURRENCY_LIMITED))).count();
    }

    /**
     * Time-weighted mean of the account's admitted calls in flight over {@code [fromMillis, toMillis)}, each call
     * in flight from its arrival for its latency.
     */
    public double meanInFlight(String account, long fromMillis, long toMillis) {
        long busy = 0;
        for (CallLog.Call c : calls) {
            if (account.equals(c.account()) && admitted(c)) {
                long start = Math.max(c.atMillis(), fromMillis);
                long end = Math.min(c.atMillis() + c.latencyMs(), toMillis);
                busy += Math.max(0, end - start);
            }
        }
        return busy / (double) (toMillis - fromMillis);
    }
}
