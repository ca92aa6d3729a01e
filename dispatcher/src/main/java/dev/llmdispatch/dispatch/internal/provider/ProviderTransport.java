package dev.llmdispatch.dispatch.internal.provider;

import dev.llmdispatch.dispatch.spi.StreamSink;
import java.time.Duration;
import tools.jackson.databind.node.ObjectNode;

/**
 * How the core reaches a provider: {@link ProviderClient} over HTTP in production; the rules' tests answer from
 * memory, so that the dispatcher's routing, retries, fallback and health run without a network. Blocking: call it from
 * a virtual thread. An implementation never puts the API key in what it returns or throws.
 */
public interface ProviderTransport extends AutoCloseable {

    /**
     * POSTs {@code body} to {@code baseUrl/path}, asking {@code gate} at the last moment before the request's first
     * byte is written: when it says no, nothing is sent and the reply is {@link ProviderReply#heldBack()}; else
     * {@link WriteGate#left()} is told once the request has left.
     *
     * @param requestId sent as {@code X-Request-Id} (the job id), for the provider's logs
     * @param sink      null for a whole answer; else a streamed answer has each chunk handed to it as it comes, and
     *                  the reply's body is the answer assembled from the chunks
     */
    ProviderReply post(
            String baseUrl,
            String path,
            String apiKey,
            ObjectNode body,
            String requestId,
            Duration timeout,
            WriteGate gate,
            StreamSink sink);

    /** As {@link #post(String, String, String, ObjectNode, String, Duration, WriteGate, StreamSink)}, not streamed. */
    default ProviderReply post(
            String baseUrl,
            String path,
            String apiKey,
            ObjectNode body,
            String requestId,
            Duration timeout,
            WriteGate gate) {
        return post(baseUrl, path, apiKey, body, requestId, timeout, gate, null);
    }

    /** GETs {@code baseUrl/path}: a light health check such as {@code models}, taking no capacity. */
    ProviderReply get(String baseUrl, String path, String apiKey, Duration timeout);

    @Override
    void close();
}
