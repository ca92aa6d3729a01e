package dev.llmdispatch.simulator;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** A simulated provider's answer: status, body, headers, and how the call log records it. */
record Answer(int status, byte[] body, Map<String, String> headers, String outcome, String model) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static Answer rateLimited(AccountState account, long retryAfterNanos) {
        long retryAfterMs = Math.max(1, (retryAfterNanos + 999_999) / 1_000_000);
        Answer a = error(
                account,
                429,
                "rate_limit_exceeded",
                "Rate limit reached: " + account.account.requests() + " requests per " + account.account.per(),
                CallLog.RATE_LIMITED,
                null);
        return new Answer(
                429,
                a.body(),
                Map.of(
                        "Retry-After",
                        Long.toString((retryAfterMs + 999) / 1000),
                        "retry-after-ms",
                        Long.toString(retryAfterMs)),
                a.outcome(),
                null);
    }

    /** An error body in the account's provider style. */
    static Answer error(AccountState account, int status, String code, String message, String outcome, String model) {
        String style = account == null ? "openai" : account.account.style();
        ObjectNode body = JSON.createObjectNode();
        switch (style) {
            case "nvidia" ->
                body.put("status", status)
                        .put("title", status == 429 ? "Too Many Requests" : message)
                        .put("detail", message);
            case "siliconflow" ->
                body.put("code", status).put("message", message).putNull("data");
            default ->
                body.putObject("error")
                        .put("message", message)
                        .put("type", code)
                        .put("code", code);
        }
        return new Answer(status, JSON.writeValueAsBytes(body), Map.of(), outcome, model);
    }

    static void send(HttpExchange exchange, Answer answer) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        answer.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer.body());
        }
    }
}
