package dev.llmdispatch.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a job asks a provider for: a chat completion or embeddings. */
public enum JobKind {
    CHAT("chat", "chat/completions"),
    EMBEDDING("embedding", "embeddings");

    private final String wireName;
    private final String endpoint;

    JobKind(String wireName, String endpoint) {
        this.wireName = wireName;
        this.endpoint = endpoint;
    }

    /** The name in job JSON: {@code chat} or {@code embedding}. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The OpenAI-compatible path below a provider's base URL. */
    public String endpoint() {
        return endpoint;
    }

    @JsonCreator
    public static JobKind fromWire(String name) {
        for (JobKind kind : values()) {
            if (kind.wireName.equals(name)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown job kind '" + name + "' (expected chat or embedding)");
    }
}
