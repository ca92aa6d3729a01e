package dev.llmdispatch.dispatch.internal.provider;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** A job's request as a provider's OpenAI-compatible API wants it. */
public final class ProviderRequests {

    private ProviderRequests() {}

    /** Whether the job's answer is streamed from the provider ({@code stream: true} on a chat job). */
    public static boolean streamed(Job job) {
        return job.kind() == JobKind.CHAT && job.request().path("stream").asBoolean(false);
    }

    /** The job's request as this candidate's provider wants it: its model, its thinking flags. */
    public static ObjectNode body(Job job, Candidate candidate) {
        ObjectNode body = job.request().deepCopy();
        if (streamed(job)) {
            // the usage comes in the last chunk only when asked: the result and the quotas need it
            body.withObject("stream_options").put("include_usage", true);
        } else {
            body.remove("stream");
            body.remove("stream_options");
        }
        String kindKey = job.kind() == JobKind.EMBEDDING
                ? "embedding"
                : Boolean.TRUE.equals(job.thinking()) ? "thinking" : "chat";
        String requested = body.path("model").isString() ? body.path("model").stringValue() : null;
        String model = candidate.settings().modelFor(requested, kindKey);
        if (model != null) {
            body.put("model", model);
        }
        if (Boolean.TRUE.equals(job.thinking())) {
            for (Map.Entry<String, Object> e :
                    candidate.settings().thinkingParams().entrySet()) {
                JsonNode value = JobCodec.toTree(e.getValue());
                JsonNode existing = body.get(e.getKey());
                if (existing instanceof ObjectNode target && value instanceof ObjectNode extra) {
                    target.setAll(extra);
                } else {
                    body.set(e.getKey(), value);
                }
            }
        }
        return body;
    }
}
