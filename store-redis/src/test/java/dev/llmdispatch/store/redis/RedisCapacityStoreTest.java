package dev.llmdispatch.store.redis;

import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;

/** The capacity contract on one real {@code redis-server}. */
@IntegrationTest
class RedisCapacityStoreTest extends RedisStoreContract {

    RedisCapacityStoreTest(Infrastructure infra) {
        super(infra.redisUrl());
    }
}
