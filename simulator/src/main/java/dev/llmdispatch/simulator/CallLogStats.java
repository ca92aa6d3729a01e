package dev.llmdispatch.simulator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/** Figures over a stretch of the call log: how much of an account's limits the callers used. */
public final class CallLogStats {

    private static final Set<String> REFUSED =
            Set.of(CallLog.RATE_LIMITED, CallLog.CONCURRENCY_LIMITED, CallLog.UNAUTHORIZED);

    private final List<CallLog.Call> calls;

    public CallLogStats(List<CallLog.Call> calls) {
        this.calls = List.copyOf(calls);
    }

    /** Whether the account's limits let the call in (it counts against them). */
    public static boolean admitted(CallLog.Call call) {
        return !REFUSED.contains(call.outcome());
    }

    /** An admitted call that counts against the limits ({@code GET /models} does not). */
    private static boolean counted(CallLog.Call call, String account) {
        return account.equals(call.account()) && admitted(call) && !call.path().endsWith("/models");
    }

    /** Arrival of the account's first admitted call, epoch ms, or -1. */
    public long firstAdmitted(String account) {
        return calls.stream()
                .filter(c -> counted(c, account))
                .mapToLong(CallLog.Call::atMillis)
                .min()
                .orElse(-1);
    }

    /** Arrival of the account's first admitted call at or after {@code fromMillis}, epoch ms, or -1. */
    public long firstAdmittedAfter(String account, long fromMillis) {
        return calls.stream()
                .filter(c -> counted(c, account) && c.atMillis() >= fromMillis)
                .mapToLong(CallLog.Call::atMillis)
                .min()
                .orElse(-1);
    }

    /** Admitted calls of an account (not {@code GET /models}) arriving in {@code [fromMillis, toMillis)}. */
    public long admittedIn(String account, long fromMillis, long toMillis) {
        return calls.stream()
                .filter(c -> counted(c, account) && c.atMillis() >= fromMillis && c.atMillis() < toMillis)
                .count();
    }

    /** Calls of an account refused by its limits (429 from the limits, not injected). */
    public long refusedByLimits(String account) {
        return calls.stream()
                .filter(c -> account.equals(c.account())
                        && (c.outcome().equals(CallLog.RATE_LIMITED)
                                || c.outcome().equals(CallLog.CONCURRENCY_LIMITED)))
                .count();
    }

    /**
     * Time-weighted mean of the account's admitted calls in flight over {@code [fromMillis, toMillis)}, each call
     * in flight from its arrival for its latency.
     */
    public double meanInFlight(String account, long fromMillis, long toMillis) {
        long busy = 0;
        for (CallLog.Call c : calls) {
            if (counted(c, account)) {
                long start = Math.max(c.atMillis(), fromMillis);
                long end = Math.min(c.atMillis() + c.latencyMs(), toMillis);
                busy += Math.max(0, end - start);
            }
        }
        return busy / (double) (toMillis - fromMillis);
    }

    /**
     * How long an account's freed concurrency slots stayed empty, for the calls ending in {@code [fromMillis,
     * toMillis)} while it was saturated: the k-th call to end is matched with the (k + concurrency)-th to arrive,
     * the call that took its slot. Sorted, in ms.
     */
    public List<Long> refillGapsMillis(String account, int concurrency, long fromMillis, long toMillis) {
        List<CallLog.Call> admitted =
                calls.stream().filter(c -> counted(c, account)).toList();
        long[] arrivals =
                admitted.stream().mapToLong(CallLog.Call::atMillis).sorted().toArray();
        long[] ends = admitted.stream()
                .mapToLong(c -> c.atMillis() + c.latencyMs())
                .sorted()
                .toArray();
        List<Long> gaps = new ArrayList<>();
        for (int k = 0; k + concurrency < arrivals.length; k++) {
            if (ends[k] >= fromMillis && ends[k] < toMillis) {
                gaps.add(Math.max(0, arrivals[k + concurrency] - ends[k]));
            }
        }
        Collections.sort(gaps);
        return gaps;
    }
}
