package dev.llmdispatch.cli;

import dev.llmdispatch.contract.JobCodec;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** {@code status}: per account limits and live use, circuits and cooldowns, queue lag, emergency flag. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Live use of every account, circuits, cooldowns, queue lag and the emergency flag.")
final class StatusCommand implements Callable<Integer> {

    @Option(names = "--worker", description = "any worker's HTTP address (default ${DEFAULT-VALUE})")
    String worker = System.getenv().getOrDefault("LLM_DISPATCH_WORKER", "http://localhost:8080");

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
            HttpResponse<String> response = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build()
                    .send(
                            HttpRequest.newBuilder(URI.create(worker + "/admin/status"))
                                    .timeout(Duration.ofSeconds(30))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                err.println("llm-dispatch: the worker at " + worker + " answered HTTP " + response.statusCode());
                return 2;
            }
            body = response.body();
        } catch (Exception e) {
            err.println("llm-dispatch: cannot reach the worker at " + worker + ": " + e);
            return 2;
        }
        if (json) {
            out.println(body);
            return 0;
        }
        JsonNode status = JobCodec.mapper().readTree(body);
        out.println(
                status.path("emergency").asBoolean()
                        ? "EMERGENCY MODE: every provider is down, consumption paused"
                        : "emergency: no");
        out.printf(
                "%-15s %-12s %-22s %-12s %-10s %-10s %s%n",
                "account", "provider", "limits", "window used", "in flight", "circuit", "cooldown");
        for (JsonNode a : status.path("accounts")) {
            String limits = (a.path("requests").isNull()
                            ? ""
                            : a.path("requests").asInt() + "/" + a.path("per").asString() + " ")
                    + (a.path("concurrency").isNull()
                            ? ""
                            : a.path("concurrency").asInt() + " in flight");
            String window = a.path("windowUsed").isNull()
                            || a.path("windowUsed").isMissingNode()
                    ? "-"
                    : a.path("windowUsed").asLong() + "/" + a.path("requests").asInt();
            String inFlight = a.path("inFlight").isMissingNode()
                    ? "-"
                    : a.path("inFlight").asInt()
                            + (a.path("concurrency").isNull()
                                    ? ""
                                    : "/" + a.path("concurrency").asInt());
            String cooldown = a.path("blocked").isObject()
                    ? a.path("blocked").path("reason").asString() + " until "
                            + a.path("blocked").path("until").asString()
                    : "";
            out.printf(
                    "%-15s %-12s %-22s %-12s %-10s %-10s %s%n",
                    a.path("account").asString(),
                    a.path("provider").asString(),
                    a.path("enabled").asBoolean() ? limits : "disabled (no key)",
                    window,
                    inFlight,
                    a.path("circuit").asString("-"),
                    cooldown);
        }
        out.print("queue lag:");
        status.path("queueLag")
                .properties()
                .forEach(e -> out.print(" " + e.getKey() + "=" + e.getValue().asLong()));
        if (status.hasNonNull("queueLagError")) {
            out.print(" unknown (" + status.path("queueLagError").asString() + ")");
        }
        out.println();
        return 0;
    }
}
