package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.StreamChannel;
import dev.llmdispatch.dispatch.spi.StreamChannelContract;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.AutoClose;

/** The stream channel contract on Redis pub/sub: two clients, as the caller's worker and the provider's. */
@IntegrationTest
class RedisStreamChannelTest extends StreamChannelContract {

    private final String prefix = "streams-" + UUID.randomUUID();

    @AutoClose
    private final TwoClients clients;

    RedisStreamChannelTest(Infrastructure infra) {
        clients = new TwoClients(infra.redisUrl());
    }

    @Override
    protected StreamChannel view() {
        return new RedisStores(clients.next(), prefix).streams();
    }
}
