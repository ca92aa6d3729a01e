package dev.llmdispatch.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * One unit of LLM work, as producers put it on a job topic. Immutable; see CONTRACT.md for the rules
 * that {@link JobValidator} enforces.
 *
 * @param v        contract version, 1
 * @param id       the idempotency key: 1–128 chars of {@code [A-Za-z0-9._:-]}
 * @param kind     chat (default) or embedding
 * @param tier     TIER_1/2/3, or null to let the classifier decide
 * @param thinking whether the job wants a reasoning mode, or null
 * @param request  an OpenAI-compatible request body
 * @param deadline a job not started by then ends EXPIRED, or null
 * @param replyTo  the reply topic, or null for the default
 * @param cache    whether the response cache may answer it, or null for the configured default
 * @param tenant   free-form owner name, or null
 * @param metadata echoed back on the result (at most 4 KiB), or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Job(
        Integer v,
        String id,
        JobKind kind,
        Tier tier,
        Boolean thinking,
        ObjectNode request,
        Instant deadline,
        String replyTo,
        Boolean cache,
        String tenant,
        JsonNode metadata) {

    public static final int VERSION = 1;

    public Job {
        v = v == null ? VERSION : v;
        kind = kind == null ? JobKind.CHAT : kind;
        metadata = JobCodec.orNull(metadata);
    }

    /** A chat job with one user message. */
    public static Job chat(String id, String userMessage) {
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.putArray("messages").addObject().put("role", "user").put("content", userMessage);
        return builder(id).request(request).build();
    }

    /** An embedding job for one input string. */
    public static Job embedding(String id, String input) {
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.put("input", input);
        return builder(id).kind(JobKind.EMBEDDING).request(request).build();
    }

    public static Builder builder(String id) {
        return new Builder(id);
    }

    /** A builder holding this job's fields, to change some of them. */
    public Builder toBuilder() {
        return new Builder(id)
                .kind(kind)
                .tier(tier)
                .thinking(thinking)
                .request(request)
                .deadline(deadline)
                .replyTo(replyTo)
                .cache(cache)
                .tenant(tenant)
                .metadata(metadata);
    }

    /** The reply topic this job's result goes to. */
    public String replyToOr(String defaultTopic) {
        return replyTo == null ? defaultTopic : replyTo;
    }

    public static final class Builder {
        private final String id;
        private JobKind kind = JobKind.CHAT;
        private Tier tier;
        private Boolean thinking;
        private ObjectNode request;
        private Instant deadline;
        private String replyTo;
        private Boolean cache;
        private String tenant;
        private JsonNode metadata;

        private Builder(String id) {
            this.id = Objects.requireNonNull(id, "id");
        }

        public Builder kind(JobKind kind) {
            this.kind = kind;
            return this;
        }

        public Builder tier(Tier tier) {
            this.tier = tier;
            return this;
        }

        public Builder thinking(Boolean thinking) {
            this.thinking = thinking;
            return this;
        }

        public Builder request(ObjectNode request) {
            this.request = request;
            return this;
        }

        public Builder deadline(Instant deadline) {
            this.deadline = deadline;
            return this;
        }

        public Builder replyTo(String replyTo) {
            this.replyTo = replyTo;
            return this;
        }

        public Builder cache(Boolean cache) {
            this.cache = cache;
            return this;
        }

        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        public Builder metadata(JsonNode metadata) {
            this.metadata = metadata;
            return this;
        }

        public Job build() {
            return new Job(VERSION, id, kind, tier, thinking, request, deadline, replyTo, cache, tenant, metadata);
        }
    }
}
