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

/** The probe turns contract on a three-master Redis Cluster: two workers' clients, one prefix. */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class RedisClusterProbeTurnsTest extends ProbeTurnsContract {

    private static TwoClients clients;

    private final String prefix = "probeturns-" + UUID.randomUUID();

    /** @param cluster the run's one cluster (testkit's InfrastructureExtension) */
    @BeforeAll
    static void connect(LocalRedisCluster cluster) {
        clients = new TwoClients(cluster.url());
    }

    @AfterAll
    static void disconnect() {
        clients.close();
    }

    @Override
    protected ProbeTurns view() {
        return new RedisProbeTurns(clients.next(), prefix);
    }
}
