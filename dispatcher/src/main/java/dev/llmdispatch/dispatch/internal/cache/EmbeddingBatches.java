package dev.llmdispatch.dispatch.internal.cache;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.dispatch.DispatchOutcome;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** An embeddings batch taken apart (the inputs to send) and put together again (every vector in order). */
final class EmbeddingBatches {

    private EmbeddingBatches() {}

    static boolean allStrings(JsonNode input) {
        if (input.isString()) {
            return true;
        }
        if (!input.isArray() || input.isEmpty()) {
            return false;
        }
        for (JsonNode item : input) {
            if (!item.isString()) {
                return false;
            }
        }
        return true;
    }

    /** The job with only the inputs at these indexes, in this order. */
    static Job withInputs(Job job, List<Integer> indexes, List<String> inputs) {
        ObjectNode request = job.request().deepCopy();
        ArrayNode array = request.putArray("input");
        indexes.forEach(i -> array.add(inputs.get(i)));
        return job.toBuilder().request(request).build();
    }

    /**
     * The vectors of an embeddings answer by the index of the input they belong to ({@code sent.get(index)}), or null
     * when the answer does not hold one vector per input sent.
     */
    static Map<Integer, JsonNode> vectors(JsonNode response, List<Integer> sent) {
        JsonNode data = response == null ? null : response.get("data");
        if (data == null || !data.isArray() || data.size() != sent.size()) {
            return null;
        }
        Map<Integer, JsonNode> out = new HashMap<>();
        int position = 0;
        for (JsonNode item : data) {
            int index = item.path("index").asInt(position);
            JsonNode vector = item.get("embedding");
            if (index < 0 || index >= sent.size() || vector == null) {
                return null;
            }
            out.put(sent.get(index), vector);
            position++;
        }
        return out.size() == sent.size() ? out : null;
    }

    static String answeringModel(DispatchOutcome outcome) {
        JsonNode model = outcome.response() == null ? null : outcome.response().get("model");
        return model != null && model.isString() ? model.stringValue() : String.valueOf(outcome.model());
    }

    /**
     * An OpenAI embeddings answer with every input's vector in order: the cached ones and the fresh ones, the rest of
     * the provider's answer (usage: what was sent) kept.
     */
    static JsonNode embeddingsResponse(int count, Map<Integer, JsonNode> vectors, JsonNode template, String model) {
        ObjectNode response = template instanceof ObjectNode object
                ? object.deepCopy()
                : JsonNodeFactory.instance.objectNode().put("object", "list");
        ArrayNode data = response.putArray("data");
        for (int i = 0; i < count; i++) {
            data.addObject().put("object", "embedding").put("index", i).set("embedding", vectors.get(i));
        }
        if (template == null) {
            response.put("model", model);
            response.putObject("usage").put("prompt_tokens", 0).put("total_tokens", 0);
        }
        return response;
    }
}
