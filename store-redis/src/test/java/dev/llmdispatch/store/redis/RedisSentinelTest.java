package dev.llmdispatch.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedis;
import dev.llmdispatch.testkit.LocalRedisSentinel;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/** A {@code redis-sentinel://} URL against a real sentinel and a master with a password (the sentinel has none). */
@IntegrationTest
class RedisSentinelTest {

    @Test
    void a_sentinel_url_finds_the_master_by_name_and_logs_in_with_its_password() {
        String password = "s3cret/pw@x";
        try (LocalRedis master = LocalRedis.start(0, List.of("requirepass \"" + password + "\""));
                LocalRedisSentinel sentinel = LocalRedisSentinel.start("limits", master.port(), password)) {
            RedissonClient redis = RedisConnections.create(
                    "redis-sentinel://:" + password + "@127.0.0.1:" + sentinel.port() + "/limits");
            try {
                redis.getBucket("sentinel-test", StringCodec.INSTANCE).set("written");
                assertThat(redis.getBucket("sentinel-test", StringCodec.INSTANCE)
                                .get())
                        .isEqualTo("written");
                Object viaScript = redis.getScript(StringCodec.INSTANCE)
                        .eval(
                                "sentinel-test",
                                RScript.Mode.READ_ONLY,
                                "return redis.call('GET', KEYS[1])",
                                RScript.ReturnType.VALUE,
                                List.of("sentinel-test"));
                assertThat(viaScript).isEqualTo("written");
            } finally {
                redis.shutdown();
            }
        }
    }
}
