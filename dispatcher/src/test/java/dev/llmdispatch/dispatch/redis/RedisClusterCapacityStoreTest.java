package dev.llmdispatch.dispatch.redis;

import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedisCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The capacity contract on a three-master Redis Cluster: every key a script uses is in its account's hash slot, so
 * each decision is one script on one node, as on a single server. Its own cluster, and mostly waiting for windows to
 * pass: it runs beside the other tests (see {@code junit-platform.properties}).
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
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
