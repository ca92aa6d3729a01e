package dev.llmdispatch.simulator;

import java.time.Clock;
import java.util.Random;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The bodies of the simulated providers' successful answers: chat completions and embeddings, as the APIs give them. */
final class ResponseBodies {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Clock clock;
    private final int embeddingDimensions;

    ResponseBodies(Clock clock, int embeddingDimensions) {
        this.clock = clock;
        this.embeddingDimensions = embeddingDimensions;
    }

    ObjectNode chat(
            JsonNode request, String model, long seqNo, int promptTokens, int completionTokens, String accountId) {
        ObjectNode response = JSON.createObjectNode();
        response.put("id", "chatcmpl-sim-" + seqNo);
        response.put("object", "chat.completion");
        response.put("created", clock.instant().getEpochSecond());
        response.put("model", model);
        ObjectNode message =
                response.putArray("choices").addObject().put("index", 0).putObject("message");
        message.put("role", "assistant");
        JsonNode messages = request.path("messages");
        String last = messages.get(messages.size() - 1).path("content").asString("");
        message.put(
                "content",
                "Simulated answer from " + accountId + " (" + completionTokens + " tokens) to: "
                        + (last.length() > 60 ? last.substring(0, 60) + "..." : last));
        if (wantsThinking(request)) {
            message.put(
                    "reasoning_content",
                    "Simulated reasoning about: " + (last.length() > 30 ? last.substring(0, 30) : last));
        }
        ((ObjectNode) response.path("choices").get(0)).put("finish_reason", "stop");
        ObjectNode usage = response.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return response;
    }

    private static boolean wantsThinking(JsonNode request) {
        JsonNode kwargs = request.path("chat_template_kwargs");
        return kwargs.path("thinking").asBoolean(false)
                || kwargs.path("enable_thinking").asBoolean(false)
                || request.path("enable_thinking").asBoolean(false);
    }

    ObjectNode embedding(JsonNode request, String model, int promptTokens) {
        ObjectNode response = JSON.createObjectNode();
        response.put("object", "list");
        ArrayNode data = response.putArray("data");
        JsonNode input = request.path("input");
        int count = input.isArray() ? input.size() : 1;
        for (int i = 0; i < count; i++) {
            String text = input.isArray() ? input.get(i).asString("") : input.asString("");
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            ArrayNode vector = item.putArray("embedding");
            Random seeded = new Random(text.hashCode());
            for (int d = 0; d < embeddingDimensions; d++) {
                vector.add(Math.round(seeded.nextGaussian() * 1e4) / 1e4);
            }
        }
        response.put("model", model);
        response.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
        return response;
    }

    static int estimateTokens(JsonNode node) {
        // about four characters a token, as the providers' own rough guides say
        int chars = 0;
        if (node.isString()) {
            chars = node.stringValue().length();
        } else {
            for (JsonNode child : node) {
                chars += child.isString()
                        ? child.stringValue().length()
                        : child.path("content").asString("").length();
            }
        }
        return Math.max(1, (chars + 3) / 4);
    }
}
