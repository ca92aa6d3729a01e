package dev.llmdispatch.simulator;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A simulated provider's answer: status, body, headers, and how the call log records it; a streamed chat answer
 * ({@code stream: true}) is sent as OpenAI's Server-Sent Events over {@code streamMillis}, with a usage chunk when
 * the request asked for one.
 */
record Answer(
        int status,
        byte[] body,
        Map<String, String> headers,
        String outcome,
        String model,
        long streamMillis,
        boolean streamUsage,
        long stallMillis) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** The pieces a streamed answer's content is sent in. */
    private static final int PIECES = 8;

    Answer(int status, byte[] body, Map<String, String> headers, String outcome, String model) {
        this(status, body, headers, outcome, model, -1, false, 0);
    }

    Answer(
            int status,
            byte[] body,
            Map<String, String> headers,
            String outcome,
            String model,
            long streamMillis,
            boolean streamUsage) {
        this(status, body, headers, outcome, model, streamMillis, streamUsage, 0);
    }

    /** This answer, stalling {@code millis} after its first bytes (then its connection is closed). */
    Answer stalling(long millis) {
        return new Answer(status, body, headers, "fault:stall", model, streamMillis, streamUsage, millis);
    }

    boolean streamed() {
        return streamMillis >= 0;
    }

    /** Sends a streamed answer: a role chunk, the content in pieces over {@code streamMillis}, the end, [DONE]. */
    static void stream(HttpExchange exchange, Answer answer) throws IOException {
        ObjectNode full = (ObjectNode) JSON.readTree(answer.body());
        String content =
                full.path("choices").path(0).path("message").path("content").asString("");
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            event(
                    out,
                    chunk(full, JSON.createObjectNode().put("role", "assistant").put("content", ""), null));
            if (answer.stallMillis() > 0) {
                pause(answer.stallMillis());
                exchange.close(); // mid-stream: no further chunk, no [DONE]
                return;
            }
            int step = Math.max(1, (content.length() + PIECES - 1) / PIECES);
            for (int i = 0; i < content.length(); i += step) {
                pause(answer.streamMillis() / PIECES);
                String piece = content.substring(i, Math.min(content.length(), i + step));
                event(out, chunk(full, JSON.createObjectNode().put("content", piece), null));
            }
            event(out, chunk(full, JSON.createObjectNode(), "stop"));
            if (answer.streamUsage()) {
                ObjectNode usage = chunk(full, null, null);
                usage.putArray("choices");
                usage.set("usage", full.path("usage"));
                event(out, usage);
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    private static ObjectNode chunk(ObjectNode full, ObjectNode delta, String finishReason) {
        ObjectNode chunk = JSON.createObjectNode()
                .put("id", full.path("id").asString())
                .put("object", "chat.completion.chunk")
                .put("created", full.path("created").asLong())
                .put("model", full.path("model").asString());
        if (delta != null) {
            ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
            choice.set("delta", delta);
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
        }
        return chunk;
    }

    private static void event(OutputStream out, ObjectNode chunk) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(Math.max(0, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

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
        if (answer.stallMillis() > 0) {
            OutputStream out = exchange.getResponseBody();
            out.write(answer.body(), 0, Math.min(16, answer.body().length));
            out.flush();
            pause(answer.stallMillis());
            exchange.close(); // the rest never comes
            return;
        }
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer.body());
        }
    }
}
