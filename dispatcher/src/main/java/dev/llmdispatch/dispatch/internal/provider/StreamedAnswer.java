package dev.llmdispatch.dispatch.internal.provider;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A streamed chat answer put back together from its {@code chat.completion.chunk}s: the {@code chat.completion} a
 * non-streamed call would have answered (content and reasoning concatenated, the finish reason, the usage of the
 * chunk that carried it).
 */
public final class StreamedAnswer {

    private String id;
    private long created;
    private String model;
    private String role = "assistant";
    private final StringBuilder content = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private String finishReason;
    private JsonNode usage;

    /** Takes one chunk. */
    public void add(JsonNode chunk) {
        if (id == null && chunk.path("id").isString()) {
            id = chunk.path("id").stringValue();
            created = chunk.path("created").asLong(0);
            model = chunk.path("model").asString(null);
        }
        if (chunk.path("usage").isObject()) {
            usage = chunk.path("usage");
        }
        for (JsonNode choice : chunk.path("choices")) {
            if (choice.path("index").asInt(0) != 0) {
                continue; // one choice is what jobs ask for
            }
            JsonNode delta = choice.path("delta");
            if (delta.path("role").isString()) {
                role = delta.path("role").stringValue();
            }
            if (delta.path("content").isString()) {
                content.append(delta.path("content").stringValue());
            }
            if (delta.path("reasoning_content").isString()) {
                reasoning.append(delta.path("reasoning_content").stringValue());
            }
            if (choice.path("finish_reason").isString()) {
                finishReason = choice.path("finish_reason").stringValue();
            }
        }
    }

    /** Whether a chunk said why the answer ended. */
    public boolean finished() {
        return finishReason != null;
    }

    /** The answer as one {@code chat.completion}. */
    public ObjectNode toCompletion() {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("id", id == null ? "" : id);
        out.put("object", "chat.completion");
        out.put("created", created);
        if (model != null) {
            out.put("model", model);
        }
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", role).put("content", content.toString());
        if (!reasoning.isEmpty()) {
            message.put("reasoning_content", reasoning.toString());
        }
        choice.put("finish_reason", finishReason);
        if (usage != null) {
            out.set("usage", usage.deepCopy());
        }
        return out;
    }
}
