package dev.llmdispatch.worker.publish;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.dispatch.spi.StreamSink;
import dev.llmdispatch.store.redis.RedisKeys;
import java.util.UUID;
import java.util.function.Consumer;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The chunks of streamed answers, from the worker that calls the provider to the worker that holds the caller's HTTP
 * request: Redis pub/sub, one channel per job ({@code <prefix>:stream:<job id>}), each message {@code {"account":
 * the attempt's account, "attempt": an id of the attempt, "chunk": the provider's chunk}}. Pub/sub keeps nothing: a listener subscribes before its job
 * is queued, and what it missed is made up from the job's result (see the OpenAI ingress).
 */
public final class StreamChannel {

    private static final Logger log = LoggerFactory.getLogger(StreamChannel.class);

    /** A subscription to one job's chunks; closing it unsubscribes. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private final RedissonClient redis;
    private final RedisKeys keys;

    public StreamChannel(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
    }

    /** The dispatcher's side: each attempt's chunks published as they come. */
    public StreamSink.Relay relay() {
        return (jobId, account) -> {
            RTopic topic = redis.getTopic(keys.stream(jobId), StringCodec.INSTANCE);
            String attempt = UUID.randomUUID().toString(); // a retry on the same account is another attempt
            return chunk -> {
                ObjectNode message = JsonNodeFactory.instance
                        .objectNode()
                        .put("account", account)
                        .put("attempt", attempt);
                message.set("chunk", chunk);
                try {
                    topic.publish(JobCodec.mapper().writeValueAsString(message));
                } catch (RuntimeException e) {
                    // the listener makes up what it missed from the result
                    log.debug("job {}: a chunk was not relayed: {}", jobId, e.toString());
                }
            };
        };
    }

    /** The ingress' side: the job's messages, to {@code each}, from now until closed. */
    public Subscription subscribe(String jobId, Consumer<JsonNode> each) {
        RTopic topic = redis.getTopic(keys.stream(jobId), StringCodec.INSTANCE);
        int id = topic.addListener(String.class, (channel, text) -> {
            try {
                each.accept(JobCodec.mapper().readTree(text));
            } catch (RuntimeException e) {
                log.debug("job {}: an unreadable chunk message was dropped: {}", jobId, e.toString());
            }
        });
        return () -> topic.removeListener(id);
    }
}
