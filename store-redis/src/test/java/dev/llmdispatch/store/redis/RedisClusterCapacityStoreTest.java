package dev.llmdispatch.store.redis;

import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedisCluster;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The capacity contract on a three-master Redis Cluster: every key a script uses is in its account's hash slot, so
 * each decision is one script on one node, as on a single server. The run's one cluster, and mostly waiting for windows to
 * pass: it runs beside the other tests (see {@code junit-platform.properties}).
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class RedisClusterCapacityStoreTest extends RedisStoreContract {

    /** @param cluster the run's one cluster (testkit's InfrastructureExtension) */
    RedisClusterCapacityStoreTest(LocalRedisCluster cluster) {
        super(cluster.url());
    }
}
