package dev.llmdispatch.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where a worker's HTTP API is and the admin token its admin routes take: shared by the commands that call it. */
final class WorkerAddress {

    @Option(names = "--worker", description = "any worker's HTTP address (default ${DEFAULT-VALUE})")
    String worker = System.getenv().getOrDefault("LLM_DISPATCH_WORKER", "http://localhost:8080");

    @Option(
            names = "--admin-token",
            description =
                    "the workers' admin token (dispatch.security.admin-token; default: $LLM_DISPATCH_ADMIN_TOKEN)")
    String adminToken = System.getenv("LLM_DISPATCH_ADMIN_TOKEN");

    /** A request to an admin route ({@code path} starts with {@code /}), with the admin token when there is one. */
    HttpRequest.Builder request(String path) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(worker + path)).timeout(Duration.ofSeconds(30));
        if (adminToken != null && !adminToken.isBlank()) {
            request.header("Authorization", "Bearer " + adminToken.strip());
        }
        return request;
    }

    HttpResponse<String> send(HttpRequest request) throws Exception {
        return HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .build()
                .send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The line to print when the worker refused or failed a call. */
    String refused(HttpResponse<String> response) {
        if (response.statusCode() == 401) {
            return "llm-dispatch: the worker at " + worker + " wants the admin token: pass --admin-token or set "
                    + "LLM_DISPATCH_ADMIN_TOKEN (HTTP 401)";
        }
        return "llm-dispatch: the worker at " + worker + " answered HTTP " + response.statusCode();
    }
}
