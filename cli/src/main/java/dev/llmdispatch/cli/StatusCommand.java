package dev.llmdispatch.cli;

import dev.llmdispatch.api.StatusReport;
import dev.llmdispatch.api.StatusReport.AccountStatus;
import dev.llmdispatch.contract.JobCodec;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code status}: per account limits and live use, circuits and cooldowns, queue lag, emergency flag. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Live use of every account, circuits, cooldowns, queue lag and the emergency flag.")
final class StatusCommand implements Callable<Integer> {

    @Mixin
    WorkerAddress address = new WorkerAddress();

    @Option(names = "--json", description = "the raw JSON, for scripts")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String body;
        try {
            HttpResponse<String> response =
                    address.send(address.request("/admin/status").build());
            if (response.statusCode() != 200) {
                err.println(address.refused(response));
                return 2;
            }
            body = response.body();
        } catch (Exception e) {
            err.println("llm-dispatch: cannot reach the worker at " + address.worker + ": " + e);
            return 2;
        }
        if (json) {
            out.println(body);
            return 0;
        }
        StatusReport status = JobCodec.mapper().readValue(body, StatusReport.class);
        out.println(
                status.emergency() ? "EMERGENCY MODE: every provider is down, consumption paused" : "emergency: no");
        out.printf(
                "%-15s %-12s %-22s %-12s %-10s %-10s %s%n",
                "account", "provider", "limits", "window used", "in flight", "circuit", "cooldown");
        for (AccountStatus a : status.accounts()) {
            String limits = (a.requests() == null ? "" : a.requests() + "/" + window(a.per()) + " ")
                    + (a.concurrency() == null ? "" : a.concurrency() + " in flight");
            String window = a.windowUsed() == null ? "-" : a.windowUsed() + "/" + a.requests();
            String inFlight = a.inFlight() == null
                    ? "-"
                    : a.inFlight()
                            + (a.concurrency() == null
                                    ? ""
                                    : a.adaptiveLimit() == null
                                            ? "/" + a.concurrency()
                                            : "/" + a.adaptiveLimit() + " (cut from " + a.concurrency() + ")");
            String cooldown = a.cooldown() == null
                    ? ""
                    : a.cooldown().reason() + " until " + a.cooldown().until();
            out.printf(
                    "%-15s %-12s %-22s %-12s %-10s %-10s %s%n",
                    a.account(),
                    a.provider(),
                    a.enabled() ? limits : "disabled (no key)",
                    window,
                    inFlight,
                    a.circuit() == null ? "-" : a.circuit(),
                    cooldown);
        }
        out.print("queue lag:");
        if (status.queueLag() != null) {
            status.queueLag().forEach((priority, lag) -> out.print(" " + priority + "=" + lag));
        }
        if (status.queueLagError() != null) {
            out.print(" unknown (" + status.queueLagError() + ")");
        }
        out.println();
        if (!status.tenants().isEmpty()) {
            out.printf("%-20s %-7s %-24s %s%n", "tenant", "weight", "requests min / day", "tokens min / day");
            for (StatusReport.TenantUsage t : status.tenants()) {
                out.printf(
                        "%-20s %-7d %-24s %s%n",
                        t.tenant(),
                        t.weight(),
                        used(t.requestsThisMinute(), t.requestsPerMinute()) + " / "
                                + used(t.requestsToday(), t.requestsPerDay()),
                        used(t.tokensThisMinute(), t.tokensPerMinute()) + " / "
                                + used(t.tokensToday(), t.tokensPerDay()));
            }
        }
        return 0;
    }

    /** A request window as people write it: "min" for PT1M, "6s" for PT6S, "day" for P1D; as given when unreadable. */
    static String window(String iso) {
        Duration per;
        try {
            per = Duration.parse(iso);
        } catch (RuntimeException e) {
            return String.valueOf(iso);
        }
        long ms = per.toMillis();
        for (var unit : List.of(
                Map.entry(86_400_000L, "day"),
                Map.entry(3_600_000L, "h"),
                Map.entry(60_000L, "min"),
                Map.entry(1_000L, "s"))) {
            if (ms > 0 && ms % unit.getKey() == 0) {
                long n = ms / unit.getKey();
                return n == 1 ? unit.getValue() : n + unit.getValue();
            }
        }
        return ms + "ms";
    }

    /** "12/600", "12" without a budget, "?" when the use could not be read. */
    private static String used(Long used, Long budget) {
        return (used == null ? "?" : used.toString()) + (budget == null ? "" : "/" + budget);
    }
}
