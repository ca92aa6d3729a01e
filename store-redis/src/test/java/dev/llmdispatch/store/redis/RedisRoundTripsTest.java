package dev.llmdispatch.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.RedisWire;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The client counts what it writes to a real Redis: a command, a script call and a pipelined batch are one round trip
 * each, whatever the script runs inside, which the server's count cannot tell apart.
 */
@IntegrationTest
class RedisRoundTripsTest {

    private static final String NAME = "round_trips_test"; // in the test resources' redis-scripts folder
    private static final String SCRIPT = RedisRoundTrips.script(NAME);

    private final Map<String, LongAdder> counted = new ConcurrentHashMap<>();
    private final RedissonClient redis;
    private final int port;
    private final String key = "round-trips-" + UUID.randomUUID();

    RedisRoundTripsTest(Infrastructure infra) {
        redis = RedisConnections.create(
                infra.redisUrl(),
                new RedisRoundTrips((connection, command) -> counted.computeIfAbsent(
                                connection + " " + command, k -> new LongAdder())
                        .increment()));
        port = URI.create(infra.redisUrl()).getPort();
    }

    @AfterEach
    void close() {
        redis.shutdown();
    }

    @Test
    void a_command_a_script_call_and_a_batch_are_one_round_trip_each() throws Exception {
        RScript scripts = redis.getScript(StringCodec.INSTANCE);
        runScript(scripts); // the first call loads the script (NOSCRIPT, SCRIPT LOAD): not what is measured
        counted.clear();
        long serverBefore = RedisWire.commandsProcessed(port);

        for (int i = 0; i < 3; i++) {
            redis.getBucket(key, StringCodec.INSTANCE).get();
        }
        for (int i = 0; i < 2; i++) {
            runScript(scripts);
        }
        RBatch batch = redis.createBatch();
        for (int i = 0; i < 4; i++) {
            batch.getBucket(key + ":" + i, StringCodec.INSTANCE).setAsync("v");
        }
        batch.execute();

        long serverCommands = RedisWire.commandsProcessed(port) - serverBefore;
        assertThat(count("plain GET")).isEqualTo(3);
        assertThat(count("plain script:" + NAME)).isEqualTo(2); // named by the script's SHA-1
        assertThat(count("plain script:other")).isZero();
        assertThat(count("plain batch")).isEqualTo(1);
        // the server ran 3 GETs, 2 scripts of 3 commands each and 4 SETs, and more (its own count includes the
        // script calls and this test's INFO): the client wrote 6 requests
        assertThat(serverCommands).isGreaterThanOrEqualTo(3 + 2 * 4 + 4);
    }

    @Test
    void a_subscription_is_one_round_trip_on_a_pub_sub_connection() {
        int listener = redis.getTopic(key + ":channel", StringCodec.INSTANCE)
                .addListener(String.class, (channel, message) -> {});
        try {
            assertThat(count("pubsub SUBSCRIBE")).isEqualTo(1);
        } finally {
            redis.getTopic(key + ":channel", StringCodec.INSTANCE).removeListener(listener);
        }
    }

    private void runScript(RScript scripts) {
        scripts.eval(
                key,
                RScript.Mode.READ_WRITE,
                SCRIPT,
                RScript.ReturnType.VALUE,
                List.of("{" + key + "}:a", "{" + key + "}:b"),
                "x");
    }

    private long count(String what) {
        LongAdder n = counted.get(what);
        return n == null ? 0 : n.sum();
    }
}
