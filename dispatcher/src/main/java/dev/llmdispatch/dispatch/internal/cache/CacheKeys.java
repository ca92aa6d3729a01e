package dev.llmdispatch.dispatch.internal.cache;

import dev.llmdispatch.contract.Job;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The cache's keys: SHA-256 of everything that determines an answer, written canonically (object fields sorted at
 * every depth), so two requests that differ only in field order share a key. Fields that do not change the answer
 * ({@code stream}, {@code user}) are left out. Keys start with their entry's format ({@code r1:} a whole answer,
 * {@code e1:} one embedding vector), so a format changed later never reads an old entry.
 */
final class CacheKeys {

    private static final List<String> IGNORED = List.of("stream", "stream_options", "user");

    private CacheKeys() {}

    /** The key of a whole answer: kind, tier, thinking and the request. */
    static String whole(Job job) {
        return "r1:" + sha256(header(job) + canonical(request(job)));
    }

    /**
     * The key of one embedding input: kind, tier and the request's other fields (model, dimensions, encoding), then
     * the input itself.
     */
    static String item(Job job, String input) {
        ObjectNode rest = request(job);
        rest.remove("input");
        return "e1:" + sha256(header(job) + canonical(rest) + "\n" + input);
    }

    private static String header(Job job) {
        return job.kind() + "|" + (job.tier() == null ? "auto" : job.tier()) + "|" + Boolean.TRUE.equals(job.thinking())
                + "|";
    }

    private static ObjectNode request(Job job) {
        ObjectNode request = job.request().deepCopy();
        IGNORED.forEach(request::remove);
        return request;
    }

    /** The node with object fields sorted by name at every depth. */
    static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>(node.propertyNames());
            Collections.sort(names);
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            names.forEach(n -> out.set(n, sorted(node.get(n))));
            return out;
        }
        if (node.isArray()) {
            var out = JsonNodeFactory.instance.arrayNode();
            node.forEach(child -> out.add(sorted(child)));
            return out;
        }
        return node;
    }

    private static String canonical(JsonNode node) {
        return sorted(node).toString();
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
