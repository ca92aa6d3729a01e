package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.AttemptLogContract;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.redisson.api.RedissonClient;

/** The attempt log contract on a real {@code redis-server}: two clients, as two workers, one prefix. */
@IntegrationTest
class RedisAttemptLogTest extends AttemptLogContract {

    private final String prefix = "attemptlog-" + UUID.randomUUID();
    private final RedissonClient first;
    private final RedissonClient second;
    private int views;

    RedisAttemptLogTest(Infrastructure infra) {
        first = RedisConnections.create(infra.redisUrl());
        second = RedisConnections.create(infra.redisUrl());
    }

    @AfterEach
    void close() {
        first.shutdown();
        second.shutdown();
    }

    @Override
    protected AttemptLog view() {
        return new RedisAttemptLog(views++ % 2 == 0 ? first : second, prefix);
    }
}
