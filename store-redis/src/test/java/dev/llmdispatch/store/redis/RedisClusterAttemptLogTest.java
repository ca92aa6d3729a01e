package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.AttemptLogContract;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedisCluster;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** The attempt log contract on a three-master Redis Cluster: two workers' clients, one prefix. */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class RedisClusterAttemptLogTest extends AttemptLogContract {

    private static TwoClients clients;

    private final String prefix = "attemptlog-" + UUID.randomUUID();

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
    protected AttemptLog view() {
        return new RedisAttemptLog(clients.next(), prefix);
    }
}
