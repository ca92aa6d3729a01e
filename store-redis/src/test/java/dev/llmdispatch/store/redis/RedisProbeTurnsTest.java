package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.ProbeTurns;
import dev.llmdispatch.dispatch.spi.ProbeTurnsContract;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.redisson.api.RedissonClient;

/** The probe turns contract on a real {@code redis-server}: two clients, as two workers, one prefix. */
@IntegrationTest
class RedisProbeTurnsTest extends ProbeTurnsContract {

    private final String prefix = "probeturns-" + UUID.randomUUID();
    private final RedissonClient first;
    private final RedissonClient second;
    private int views;

    RedisProbeTurnsTest(Infrastructure infra) {
        first = RedisConnections.create(infra.redisUrl());
        second = RedisConnections.create(infra.redisUrl());
    }

    @AfterEach
    void close() {
        first.shutdown();
        second.shutdown();
    }

    @Override
    protected ProbeTurns view() {
        return new RedisProbeTurns(views++ % 2 == 0 ? first : second, prefix);
    }
}
