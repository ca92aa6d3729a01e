package dev.llmdispatch.store.redis;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.dispatch.spi.StreamChannel;
import dev.llmdispatch.dispatch.spi.StreamSink;
import java.util.UUID;
import java.util.function.Consumer;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/** The stream channel on Redis pub/sub: one channel per job, {@code <prefix>:stream:<job id>}. */
final class RedisStreamChannel implements StreamChannel {

    private static final Logger log = LoggerFactory.getLogger(RedisStreamChannel.class);

    private final RedissonClient redis;
    private final RedisKeys keys;

    RedisStreamChannel(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
    }

    @Override
    public StreamSink.Relay relay() {
        return (jobId, account) -> {
            RTopic topic = redis.getTopic(keys.stream(jobId), StringCodec.INSTANCE);
            String attempt = UUID.randomUUID().toString(); // a retry on the same account is another attempt
            return chunk -> {
                try {
                    topic.publish(JobCodec.mapper().writeValueAsString(StreamChannel.message(account, attempt, chunk)));
                } catch (RuntimeException e) {
                    // the listener makes up what it missed from the result
                    log.debug("job {}: a chunk was not relayed: {}", jobId, e.toString());
                }
            };
        };
    }

    @Override
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
