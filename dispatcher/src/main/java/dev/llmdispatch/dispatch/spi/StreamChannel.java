package dev.llmdispatch.dispatch.spi;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The chunks of streamed answers, from the worker that calls the provider to the worker that holds the caller's
 * request, one channel per job. Each message is {@code {"account": the attempt's account, "attempt": an id of the
 * attempt, "chunk": the provider's chunk}}. A channel keeps nothing: a listener subscribes before its job is queued,
 * and what it missed is made up from the job's result. Redis pub/sub in production ({@code RedisStreamChannel}).
 */
public interface StreamChannel {

    /** A subscription to one job's messages; closing it unsubscribes. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** The dispatcher's side: each attempt's chunks published as they come. */
    StreamSink.Relay relay();

    /** The ingress' side: the job's messages, to {@code each}, from now until closed. */
    Subscription subscribe(String jobId, Consumer<JsonNode> each);

    /** The message that carries one chunk of an attempt. */
    static ObjectNode message(String account, String attempt, JsonNode chunk) {
        ObjectNode message =
                JsonNodeFactory.instance.objectNode().put("account", account).put("attempt", attempt);
        message.set("chunk", chunk);
        return message;
    }

    /** A channel in this JVM: each message handed to the job's subscribers at once. */
    static StreamChannel inMemory() {
        Map<String, List<Consumer<JsonNode>>> listeners = new ConcurrentHashMap<>();
        return new StreamChannel() {
            @Override
            public StreamSink.Relay relay() {
                return (jobId, account) -> {
                    String attempt = UUID.randomUUID().toString();
                    return chunk -> listeners
                            .getOrDefault(jobId, List.of())
                            .forEach(each -> each.accept(message(account, attempt, chunk)));
                };
            }

            @Override
            public Subscription subscribe(String jobId, Consumer<JsonNode> each) {
                listeners
                        .computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>())
                        .add(each);
                return () -> listeners.computeIfPresent(jobId, (k, list) -> {
                    list.remove(each);
                    return list.isEmpty() ? null : list;
                });
            }
        };
    }
}
