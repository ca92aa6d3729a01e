package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.AttemptLogContract;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.AutoClose;

/** The attempt log contract on a real {@code redis-server}: two clients, as two workers, one prefix. */
@IntegrationTest
class RedisAttemptLogTest extends AttemptLogContract {

    private final String prefix = "attemptlog-" + UUID.randomUUID();

    @AutoClose
    private final TwoClients clients;

    RedisAttemptLogTest(Infrastructure infra) {
        clients = new TwoClients(infra.redisUrl());
    }

    @Override
    protected AttemptLog view() {
        return new RedisAttemptLog(clients.next(), prefix);
    }
}
