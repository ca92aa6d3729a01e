package dev.llmdispatch.store.redis;

import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedisCluster;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The ledger contract on a three-master Redis Cluster: a tenant's budget and its jobs' marks share one hash slot, so
 * each admission is one script on one node.
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class RedisClusterTenantLedgerTest extends RedisLedgerContract {

    /** @param cluster the run's one cluster (testkit's InfrastructureExtension) */
    RedisClusterTenantLedgerTest(LocalRedisCluster cluster) {
        super(cluster.url());
    }
}
