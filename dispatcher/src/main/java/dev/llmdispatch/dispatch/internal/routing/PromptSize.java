package dev.llmdispatch.dispatch.internal.routing;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobKind;
import tools.jackson.databind.JsonNode;

/**
 * A cheap estimate of a job's size in tokens: about four characters a token (the providers' own rule of
 * thumb for English; CJK text runs nearer one character a token, so CJK characters count as one each).
 */
public final class PromptSize {
    private PromptSize() {}

    /** Estimated prompt tokens of a job's request. */
    public static int promptTokens(Job job) {
        JsonNode request = job.request();
        if (job.kind() == JobKind.EMBEDDING) {
            return tokens(request.path("input"));
        }
        int total = 0;
        for (JsonNode message : request.path("messages")) {
            total += tokens(message.path("content")) + 4; // role and framing
        }
        return total;
    }

    /**
     * Prompt tokens plus the completion the job allows ({@code max_completion_tokens}, OpenAI's newer name, or
     * {@code max_tokens}: the larger when both are set), for context windows and quotas.
     */
    public static int totalTokens(Job job) {
        JsonNode request = job.request();
        long allowed = Math.max(
                request.path("max_tokens").asLong(0),
                request.path("max_completion_tokens").asLong(0));
        // a huge allowance must not wrap around to a small (or negative) size that every window would hold
        return (int) Math.min(Integer.MAX_VALUE, promptTokens(job) + Math.max(0, allowed));
    }

    private static int tokens(JsonNode node) {
        if (node.isString()) {
            return tokens(node.stringValue());
        }
        int total = 0;
        for (JsonNode child : node) {
            // content parts ({"type":"text","text":...}) or input arrays
            total += child.isString()
                    ? tokens(child.stringValue())
                    : tokens(child.path("text").asString(""));
        }
        return total;
    }

    static int tokens(String text) {
        int cjk = 0;
        int other = 0;
        for (int i = 0; i < text.length(); i++) {
            if (Character.UnicodeScript.of(text.charAt(i)) == Character.UnicodeScript.HAN) {
                cjk++;
            } else {
                other++;
            }
        }
        return cjk + (other + 3) / 4;
    }
}
