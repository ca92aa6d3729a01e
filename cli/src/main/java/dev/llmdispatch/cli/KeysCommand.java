package dev.llmdispatch.cli;

import dev.llmdispatch.contract.JobCodec;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** {@code keys}: the tenants' API keys, through a worker's admin API. */
@Command(
        name = "keys",
        mixinStandardHelpOptions = true,
        description = "Make, list and revoke tenants' API keys (keys are kept hashed; a new key is shown once).",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Make a key for a configured tenant.")
    static final class Create implements Callable<Integer> {
        @Mixin
        WorkerAddress address = new WorkerAddress();

        @Option(names = "--tenant", required = true, description = "a tenant configured under dispatch.tenants")
        String tenant;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            HttpResponse<String> response = address.send(
                    address.request("/admin/keys?tenant=" + URLEncoder.encode(tenant, StandardCharsets.UTF_8))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build());
            PrintWriter out = spec.commandLine().getOut();
            if (response.statusCode() != 201) {
                spec.commandLine().getErr().println(problem(address, response));
                return 2;
            }
            JsonNode created = JobCodec.mapper().readTree(response.body());
            out.println(created.path("key").asString());
            spec.commandLine()
                    .getErr()
                    .println("key " + created.path("id").asString() + " for tenant " + tenant
                            + ": shown this once, keep it (only its hash is stored)");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every key by id, tenant and source.")
    static final class ListKeys implements Callable<Integer> {
        @Mixin
        WorkerAddress address = new WorkerAddress();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            HttpResponse<String> response =
                    address.send(address.request("/admin/keys").build());
            if (response.statusCode() != 200) {
                spec.commandLine().getErr().println(problem(address, response));
                return 2;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-14s %-20s %-8s %s%n", "id", "tenant", "source", "created");
            for (JsonNode k : JobCodec.mapper().readTree(response.body())) {
                out.printf(
                        "%-14s %-20s %-8s %s%n",
                        k.path("id").asString(),
                        k.path("tenant").asString(),
                        k.path("source").asString(),
                        k.path("createdAt").asString());
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key made at run time.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        WorkerAddress address = new WorkerAddress();

        @Parameters(paramLabel = "ID", description = "the key's id, as 'keys list' shows it")
        String id;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            HttpResponse<String> response =
                    address.send(address.request("/admin/keys/" + URLEncoder.encode(id, StandardCharsets.UTF_8))
                            .DELETE()
                            .build());
            if (response.statusCode() != 204) {
                spec.commandLine().getErr().println(problem(address, response));
                return 2;
            }
            spec.commandLine().getOut().println("revoked " + id);
            return 0;
        }
    }

    /** The worker's refusal in one line: its problem detail when it gave one. */
    private static String problem(WorkerAddress address, HttpResponse<String> response) {
        if (response.statusCode() == 401) {
            return address.refused(response);
        }
        try {
            String detail =
                    JobCodec.mapper().readTree(response.body()).path("detail").asString("");
            if (!detail.isEmpty()) {
                return "llm-dispatch: " + detail + " (HTTP " + response.statusCode() + ")";
            }
        } catch (RuntimeException e) {
            // not a problem detail: the status says enough
        }
        return address.refused(response);
    }
}
