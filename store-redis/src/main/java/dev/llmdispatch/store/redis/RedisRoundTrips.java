package dev.llmdispatch.store.redis;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.redisson.client.NettyHook;
import org.redisson.client.handler.CommandsQueue;
import org.redisson.client.handler.CommandsQueuePubSub;
import org.redisson.client.handler.RedisPubSubConnectionHandler;
import org.redisson.client.protocol.CommandData;
import org.redisson.client.protocol.CommandsData;

/**
 * Counts the requests a Redisson client writes to Redis, as the client sees them: each command is one round trip, a
 * pipelined batch is one, a script call is one (named by the script, see {@link #script}), whatever the script does
 * inside. What the server's {@code INFO commandstats} cannot tell apart from the commands scripts run themselves.
 * Redisson's connections (plain and pub/sub, every node) all pass here: {@code Config.setNettyHook}.
 */
public final class RedisRoundTrips implements NettyHook {

    /** Hears each round trip: the connection's kind ({@code plain}, {@code pubsub}) and what it carried. */
    @FunctionalInterface
    public interface Listener {
        void roundTrip(String connection, String command);
    }

    private static final String NAME = "llm-dispatch-round-trips";
    /** The one folder of every Lua script llm-dispatch runs. */
    private static final String SCRIPTS = "/redis-scripts/";

    private static final Map<String, String> SCRIPT_NAMES = new ConcurrentHashMap<>();

    private final ChannelHandler plain;
    private final ChannelHandler pubsub;

    public RedisRoundTrips(Listener listener) {
        this.plain = new Counting("plain", listener);
        this.pubsub = new Counting("pubsub", listener);
    }

    /**
     * The source of the Lua script {@code name}, kept with every other script of llm-dispatch in one folder of
     * resources ({@code /redis-scripts/NAME.lua}), and named for the count ({@code script:NAME} instead of
     * {@code script:other}): a script goes by its SHA-1 ({@code EVALSHA}), which is all the client's write shows of it.
     */
    public static String script(String name) {
        String file = SCRIPTS + name + ".lua";
        try (InputStream in = RedisRoundTrips.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("missing Redis script " + file);
            }
            String source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            SCRIPT_NAMES.put(
                    HexFormat.of()
                            .formatHex(
                                    MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8))),
                    name);
            return source;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-1 in this JVM", e);
        }
    }

    @Override
    public void afterBoostrapInitialization(Bootstrap bootstrap) {}

    /**
     * Counts on the socket's side of Redisson's command queue: a pub/sub connection's queue writes each command a
     * second time through the whole pipeline once it may go, so a handler in front of it would count it twice.
     */
    @Override
    public void afterChannelInitialization(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        boolean pubSub = pipeline.get(RedisPubSubConnectionHandler.class) != null;
        ChannelHandlerContext queue =
                pubSub ? pipeline.context(CommandsQueuePubSub.class) : pipeline.context(CommandsQueue.class);
        ChannelHandler counting = pubSub ? pubsub : plain;
        if (queue != null) {
            pipeline.addBefore(queue.name(), NAME, counting);
        } else {
            pipeline.addLast(NAME, counting);
        }
    }

    /** What a write carried, as counted: a command's name, {@code script:NAME}, or {@code batch}. */
    static String command(Object message) {
        if (message instanceof CommandsData) {
            return "batch";
        }
        if (message instanceof CommandData<?, ?> data) {
            String name = data.getCommand().getName();
            if (name.startsWith("EVALSHA") && data.getParams().length > 0) {
                return "script:"
                        + SCRIPT_NAMES.getOrDefault(
                                String.valueOf(data.getParams()[0]).toLowerCase(Locale.ROOT), "other");
            }
            return name;
        }
        return null;
    }

    @ChannelHandler.Sharable
    private static final class Counting extends ChannelOutboundHandlerAdapter {
        private final String connection;
        private final Listener listener;

        Counting(String connection, Listener listener) {
            this.connection = connection;
            this.listener = listener;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) throws Exception {
            try {
                String command = command(message);
                if (command != null) {
                    listener.roundTrip(connection, command);
                }
            } catch (RuntimeException e) {
                // a count is never worth a failed Redis call
            }
            super.write(ctx, message, promise);
        }
    }
}
