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

    /**
     * The most of the account's admitted calls that arrived within one window of {@code windowMillis}, over the windows
     * starting in {@code [fromMillis, toMillis)}: whether the fleet reached a request limit there.
     */
    public long mostAdmittedInAWindow(String account, long windowMillis, long fromMillis, long toMillis) {
        long[] arrivals = calls.stream()
                .filter(c -> counted(c, account))
                .mapToLong(CallLog.Call::atMillis)
                .sorted()
                .toArray();
        long most = 0;
        int end = 0;
        for (int start = 0; start < arrivals.length; start++) {
            if (arrivals[start] < fromMillis || arrivals[start] >= toMillis) {
                continue;
            }
            end = Math.max(end, start);
            while (end < arrivals.length && arrivals[end] < arrivals[start] + windowMillis) {
                end++;
            }
            most = Math.max(most, end - start);
        }
        return most;
    }

    /** The most of the account's admitted calls in flight at once at any moment of {@code [fromMillis, toMillis)}. */
    public int mostInFlight(String account, long fromMillis, long toMillis) {
        List<long[]> edges = new ArrayList<>();
        for (CallLog.Call c : calls) {
            if (counted(c, account)) {
                edges.add(new long[] {c.atMillis(), 1});
                edges.add(new long[] {c.atMillis() + c.latencyMs(), -1});
            }
        }
        // an end before a start at the same millisecond: a slot handed on is not two calls at once
        edges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        int now = 0;
        int most = 0;
        for (long[] e : edges) {
            now += (int) e[1];
            if (e[0] >= fromMillis && e[0] < toMillis) {
                most = Math.max(most, now);
            }
        }
        return most;
    }
}
