package dev.llmdispatch.worker.openai;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import dev.llmdispatch.worker.security.OpenAiErrors;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes one streamed chat completion as OpenAI's Server-Sent Events: the provider's chunks as they are relayed
 * (with the model name the request used; the usage chunk only when the request asked for it), then, once the job's
 * result is there, whatever pub/sub lost (the rest of the content, the finish, the usage), then {@code data: [DONE]}.
 * Chunks of another attempt than the first one relayed (a stream broken on one account and restarted on another)
 * are not mixed in; if the result is not the continuation of what was sent, the stream ends with an error event.
 */
final class SseRelay {

    /** How long chunks still in flight on pub/sub are waited for once the result is there. */
    private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final String model;
    private final boolean includeUsage;
    private final JsonNode first;
    private String attempt;
    private final StringBuilder sent = new StringBuilder();
    private boolean finishSent;
    private boolean usageSent;
    private JsonNode template;

    /** @param first the first relayed message ({@code {"account", "chunk"}}), or null when none came */
    SseRelay(String model, boolean includeUsage, JsonNode first) {
        this.model = model;
        this.includeUsage = includeUsage;
        this.first = first;
    }

    void run(OutputStream out, BlockingQueue<JsonNode> messages, CompletableFuture<JobResult> result, long deadline)
            throws IOException, InterruptedException {
        if (first != null) {
            relay(out, first);
        }
        while (!result.isDone() && !Ticker.SYSTEM.passed(deadline)) {
            JsonNode message = messages.poll(20, TimeUnit.MILLISECONDS);
            if (message != null) {
                relay(out, message);
            }
        }
        long graceEnd = Ticker.SYSTEM.nanos() + GRACE_NANOS;
        for (JsonNode m = messages.poll(); m != null || !Ticker.SYSTEM.passed(graceEnd); m = messages.poll()) {
            if (m != null) {
                relay(out, m);
            } else if (finishSent && (usageSent || !includeUsage)) {
                break;
            } else {
                Sleeper.SYSTEM.sleepMillis(10);
            }
        }
        JobResult done = result.isDone() ? resultOf(result) : null;
        if (done == null) {
            error(out, "no end of the answer within the request's time", "timeout");
        } else if (done.status() != JobStatus.SUCCEEDED || done.response() == null) {
            error(
                    out,
                    done.error() == null ? done.status().name() : done.error().message(),
                    "failed");
        } else {
            complete(out, done.response());
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Sends what the result has that the relayed chunks did not. */
    private void complete(OutputStream out, JsonNode response) throws IOException {
        if (template == null) {
            template = response;
        }
        String content =
                response.path("choices").path(0).path("message").path("content").asString("");
        if (!content.startsWith(sent.toString())) {
            error(out, "the answer was restarted on another account after part of it had been sent", "restarted");
            return;
        }
        if (content.length() > sent.length() || sent.isEmpty() && !finishSent) {
            ObjectNode delta = JsonNodeFactory.instance.objectNode();
            if (sent.isEmpty()) {
                delta.put("role", "assistant");
            }
            delta.put("content", content.substring(sent.length()));
            write(out, chunk(delta, null, null));
            sent.append(content.substring(sent.length()));
        }
        if (!finishSent) {
            String reason =
                    response.path("choices").path(0).path("finish_reason").asString("stop");
            write(out, chunk(JsonNodeFactory.instance.objectNode(), reason, null));
            finishSent = true;
        }
        if (includeUsage && !usageSent && response.path("usage").isObject()) {
            write(out, chunk(null, null, response.path("usage")));
            usageSent = true;
        }
    }

    private void relay(OutputStream out, JsonNode message) throws IOException {
        String from = message.path("attempt").asString("");
        if (attempt == null) {
            attempt = from;
        } else if (!attempt.equals(from)) {
            return; // another attempt's chunks (a retry, here or on another account): the result settles the rest
        }
        JsonNode chunk = message.path("chunk");
        if (!(chunk instanceof ObjectNode c)) {
            return;
        }
        if (template == null) {
            template = c;
        }
        boolean usageOnly = c.path("choices").isEmpty() && c.path("usage").isObject();
        if (usageOnly && !includeUsage) {
            return;
        }
        ObjectNode copy = c.deepCopy();
        copy.put("model", model);
        if (!includeUsage) {
            copy.remove("usage");
        }
        for (JsonNode choice : copy.path("choices")) {
            if (choice.path("delta").path("content").isString()) {
                sent.append(choice.path("delta").path("content").stringValue());
            }
            if (choice.path("finish_reason").isString()) {
                finishSent = true;
            }
        }
        usageSent |= copy.path("usage").isObject();
        write(out, copy);
    }

    /** A chunk made here, in the provider's id and time when known. */
    private ObjectNode chunk(ObjectNode delta, String finishReason, JsonNode usage) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("id", template == null ? "" : template.path("id").asString(""));
        c.put("object", "chat.completion.chunk");
        c.put("created", template == null ? 0 : template.path("created").asLong(0));
        c.put("model", model);
        var choices = c.putArray("choices");
        if (delta != null) {
            ObjectNode choice = choices.addObject().put("index", 0);
            choice.set("delta", delta);
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
        }
        if (usage != null) {
            c.set("usage", usage.deepCopy());
        }
        return c;
    }

    private static void error(OutputStream out, String message, String code) throws IOException {
        out.write(("data: " + JobCodec.mapper().writeValueAsString(OpenAiErrors.body(message, "server_error", code))
                        + "\n\n")
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void write(OutputStream out, JsonNode chunk) throws IOException {
        out.write(("data: " + JobCodec.mapper().writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static JobResult resultOf(CompletableFuture<JobResult> result) {
        try {
            return result.getNow(null);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
