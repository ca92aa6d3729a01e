package dev.llmdispatch.bench;

import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.CallLogStats;
import dev.llmdispatch.simulator.SimAccount;
import java.util.ArrayList;
import java.util.List;

/** How much of each account's limits a flood used, from the simulator's call log: the benchmarks' table. */
public final class AccountUse {

    /** One account's use over a span. */
    public record Row(String account, long admitted, double rateUse, double busy, long refused) {}

    private AccountUse() {}

    /**
     * Prints the table (admitted, span, use of the burst and the rate of a request window, time-weighted busy share of
     * the concurrency, 429s from the limits) over the span each account had work, up to {@code saturatedUntil}; answers
     * the rows ({@code rateUse}, {@code busy}: -1 where the account has no such limit).
     */
    public static List<Row> print(List<SimAccount> accounts, List<CallLog.Call> calls, long saturatedUntil) {
        CallLogStats stats = new CallLogStats(calls);
        System.out.printf(
                "  %-14s %-24s %9s %8s %15s %14s %10s %6s%n",
                "account", "limits", "admitted", "span s", "of max (burst)", "of max (rate)", "busy", "429s");
        List<Row> rows = new ArrayList<>();
        for (SimAccount a : accounts) {
            long first = stats.firstAdmitted(a.id());
            if (first < 0) {
                System.out.printf("  %-14s no call%n", a.id());
                rows.add(new Row(a.id(), 0, -1, -1, stats.refusedByLimits(a.id())));
                continue;
            }
            long last = Math.max(first, saturatedUntil);
            long admitted = stats.admittedIn(a.id(), first, last + 1);
            long refused = stats.refusedByLimits(a.id());
            double span = Math.max(1, last - first);
            String limit = "";
            String burst = "";
            String rate = "";
            double rateUse = -1;
            double busyShare = -1;
            if (a.requests() > 0) {
                long per = a.window().toMillis();
                limit = a.requests() + " per " + per / 1000.0 + " s";
                // the most a sliding window lets through in the span (bursts), and its long-run rate
                burst = pct(admitted, a.requests() * (long) Math.ceil(span / per));
                rateUse = admitted / (a.requests() * span / per);
                rate = pct(admitted, a.requests() * span / per);
            }
            String busy = "";
            if (a.concurrency() > 0) {
                limit += (limit.isEmpty() ? "" : ", ") + a.concurrency() + " in flight";
                busyShare = stats.meanInFlight(a.id(), first, last) / a.concurrency();
                busy = pct(stats.meanInFlight(a.id(), first, last), a.concurrency());
            }
            System.out.printf(
                    "  %-14s %-24s %9d %8.1f %15s %14s %10s %6d%n",
                    a.id(), limit, admitted, span / 1000.0, burst, rate, busy, refused);
            rows.add(new Row(a.id(), admitted, rateUse, busyShare, refused));
        }
        // each refusal by a limit, with what the fleet had sent there just before: what a violation looked like
        for (CallLog.Call c : calls) {
            if (c.outcome().equals(CallLog.RATE_LIMITED) || c.outcome().equals(CallLog.CONCURRENCY_LIMITED)) {
                SimAccount a = accounts.stream()
                        .filter(x -> x.id().equals(c.account()))
                        .findFirst()
                        .orElse(null);
                long window = a != null && a.window() != null ? a.window().toMillis() : 0;
                long before = window > 0 ? stats.admittedIn(c.account(), c.atMillis() - window + 1, c.atMillis()) : -1;
                System.out.printf(
                        "  refused: %s %s job %s at %d%s%n",
                        c.account(),
                        c.outcome(),
                        c.jobId(),
                        c.atMillis(),
                        window > 0 ? " (" + before + " admitted in the " + window + " ms before it)" : "");
            }
        }
        return rows;
    }

    static String pct(double part, double whole) {
        return whole <= 0 ? "-" : String.format("%.1f%%", 100.0 * part / whole);
    }
}
