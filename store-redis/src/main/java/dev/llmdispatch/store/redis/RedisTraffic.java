package dev.llmdispatch.store.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The fleet's traffic figures in Redis: one hash per time bucket ({@code <prefix>:{traffic}:<bucket>}, one hash slot), to which each
 * worker adds its own counts ({@code traffic.lua}: a field whose name ends in {@code Max} is raised, the others
 * added), read back by every worker's dashboard.
 */
public final class RedisTraffic {

    /** One bucket's counts from one worker, by field. */
    public record Counts(long bucket, Map<String, Long> fields) {}

    /** {@code traffic.lua}: KEYS one hash per bucket; ARGV per bucket: its field count, each field and value, kept ms. */
    record AddArgs(RedisKeys names, List<Counts> counts, Duration kept) implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return counts.stream()
                    .map(c -> (Object) names.traffic(Long.toString(c.bucket())))
                    .toList();
        }

        @Override
        public Object[] argv() {
            List<Object> argv = new ArrayList<>();
            for (Counts c : counts) {
                argv.add(Integer.toString(c.fields().size()));
                c.fields().forEach((field, value) -> {
                    argv.add(field);
                    argv.add(Long.toString(value));
                });
                argv.add(Long.toString(kept.toMillis()));
            }
            return argv.toArray();
        }
    }

    private static final LuaScript<AddArgs> ADD = LuaScript.named("traffic");

    private final RedissonClient redis;
    private final RedisKeys keys;

    public RedisTraffic(RedissonClient redis, String keyPrefix) {
        this.redis = redis;
        this.keys = RedisKeys.of(keyPrefix);
    }

    /** Adds these counts to the fleet's buckets, each kept {@code kept} after its last addition: one round trip. */
    public void add(List<Counts> counts, Duration kept) {
        if (!counts.isEmpty()) {
            ADD.eval(redis, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG, new AddArgs(keys, counts, kept));
        }
    }

    /** The fleet's figures of each bucket, in order (empty for a bucket without any): one pipelined round trip. */
    public List<Map<String, String>> read(List<Long> buckets) {
        RBatch batch = redis.createBatch();
        List<RFuture<Map<String, String>>> reads = new ArrayList<>();
        for (long b : buckets) {
            reads.add(batch.<String, String>getMap(keys.traffic(Long.toString(b)), StringCodec.INSTANCE)
                    .readAllMapAsync());
        }
        batch.execute();
        return reads.stream().map(r -> r.toCompletableFuture().join()).toList();
    }
}
