package dev.llmdispatch.dispatch.config;

/** What a provider can serve. */
public enum Capability {
    CHAT,
    THINKING,
    EMBEDDING
}
