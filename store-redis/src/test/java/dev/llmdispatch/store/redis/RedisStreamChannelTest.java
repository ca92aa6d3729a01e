package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.StreamChannel;
import dev.llmdispatch.dispatch.spi.StreamChannelContract;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.redisson.api.RedissonClient;

/** The stream channel contract on Redis pub/sub: two clients, as the caller's worker and the provider's. */
@IntegrationTest
class RedisStreamChannelTest extends StreamChannelContract {

    private final String prefix = "streams-" + UUID.randomUUID();
    private final RedissonClient first;
    private final RedissonClient second;
    private int views;

    RedisStreamChannelTest(Infrastructure infra) {
        first = RedisConnections.create(infra.redisUrl());
        second = RedisConnections.create(infra.redisUrl());
    }

    @AfterEach
    void close() {
        first.shutdown();
        second.shutdown();
    }

    @Override
    protected StreamChannel view() {
        return new RedisStores(views++ % 2 == 0 ? first : second, prefix).streams();
    }
}
