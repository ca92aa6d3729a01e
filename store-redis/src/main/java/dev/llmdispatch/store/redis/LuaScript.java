package dev.llmdispatch.store.redis;

import java.util.List;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * One Lua script of the scripts folder ({@code /redis-scripts/NAME.lua}), called only with its arguments record: the
 * record lays out the script's KEYS and ARGV by name, in the script's order, and nowhere else does. Every key of one
 * call shares a hash slot, so the first one routes it (on a Cluster too).
 *
 * @param <A> the script's arguments
 */
final class LuaScript<A extends LuaScript.Args> {

    /** The KEYS and ARGV of one call of a script. */
    interface Args {
        List<Object> keys();

        Object[] argv();
    }

    private final String source;

    private LuaScript(String source) {
        this.source = source;
    }

    /** The script {@code name} of the folder (counted by {@link RedisRoundTrips} under its name). */
    static <A extends Args> LuaScript<A> named(String name) {
        return new LuaScript<>(RedisRoundTrips.script(name));
    }

    /** One call, one round trip. */
    <R> R eval(RedissonClient redis, RScript.Mode mode, RScript.ReturnType returns, A args) {
        List<Object> keys = args.keys();
        return redis.getScript(StringCodec.INSTANCE)
                .eval((String) keys.getFirst(), mode, source, returns, keys, args.argv());
    }

    /** One call in a pipelined batch: it is sent with the batch. */
    <R> RFuture<R> evalAsync(RBatch batch, RScript.Mode mode, RScript.ReturnType returns, A args) {
        List<Object> keys = args.keys();
        return batch.getScript(StringCodec.INSTANCE)
                .evalAsync((String) keys.getFirst(), mode, source, returns, keys, args.argv());
    }

    /** A flag as the scripts read it. */
    static String flag(boolean on) {
        return on ? "1" : "0";
    }

    /** An absent string as the scripts read it: empty. */
    static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
