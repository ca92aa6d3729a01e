package dev.llmdispatch.testkit;

/** What {@link InfrastructureExtension} started: addresses of a real Kafka broker and a real Redis. */
public record Infrastructure(String bootstrapServers, String redisUrl) {}
