package dev.llmdispatch.dispatch.redis;

import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedisCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The capacity contract on a three-master Redis Cluster: every key a script uses is in its account's hash slot, so
 * each decision is one script on one node, as on a single server.
 */
@IntegrationTest
class RedisClusterCapacityStoreTest extends RedisStoreContract {

    private static LocalRedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = LocalRedisCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    RedisClusterCapacityStoreTest() {
        super(cluster.url());
    }
}
