package dev.llmdispatch.dispatch.redis;

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

    /** Started with the class's one instance (PER_CLASS: before any @BeforeAll), stopped after its cases. */
    private static LocalRedisCluster cluster;

    RedisClusterTenantLedgerTest() {
        super(startCluster());
    }

    private static String startCluster() {
        cluster = LocalRedisCluster.start(3);
        return cluster.url();
    }

    @Override
    protected void closeServers() {
        cluster.close();
    }
}
