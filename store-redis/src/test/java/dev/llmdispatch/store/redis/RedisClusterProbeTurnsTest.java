package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.ProbeTurns;
import dev.llmdispatch.dispatch.spi.ProbeTurnsContract;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedisCluster;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.redisson.api.RedissonClient;

/** The probe turns contract on a three-master Redis Cluster: two workers' clients, one prefix. */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class RedisClusterProbeTurnsTest extends ProbeTurnsContract {

    private static RedissonClient first;
    private static RedissonClient second;

    private final String prefix = "probeturns-" + UUID.randomUUID();
    private int views;

    /** @param cluster the run's one cluster (testkit's InfrastructureExtension) */
    @BeforeAll
    static void connect(LocalRedisCluster cluster) {
        first = RedisConnections.create(cluster.url());
        second = RedisConnections.create(cluster.url());
    }

    @AfterAll
    static void disconnect() {
        first.shutdown();
        second.shutdown();
    }

    @Override
    protected ProbeTurns view() {
        return new RedisProbeTurns(views++ % 2 == 0 ? first : second, prefix);
    }
}
