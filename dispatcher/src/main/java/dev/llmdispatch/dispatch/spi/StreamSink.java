package dev.llmdispatch.dispatch.spi;

import tools.jackson.databind.JsonNode;

/**
 * Where a streamed answer's chunks go as they come from the provider ({@code chat.completion.chunk} objects), for a
 * job whose request asks {@code stream: true}. The job's result is still the whole answer, assembled from them.
 */
@FunctionalInterface
public interface StreamSink {

    /** Opens the sink for one attempt of a streamed job; null: the chunks go nowhere. */
    @FunctionalInterface
    interface Relay {
        Relay NONE = (jobId, account) -> null;

        StreamSink open(String jobId, String account);
    }

    /** One chunk, in the order the provider sent it. Must not throw: a relay that fails drops the chunk. */
    void chunk(JsonNode chunk);
}
