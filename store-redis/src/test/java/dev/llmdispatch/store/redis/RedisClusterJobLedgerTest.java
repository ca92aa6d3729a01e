package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.JobLedger;
import dev.llmdispatch.dispatch.spi.JobLedgerContract;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedisCluster;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** The job ledger contract on a three-master Redis Cluster: jobs' keys spread over the masters, renewals batched. */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class RedisClusterJobLedgerTest extends JobLedgerContract {

    private static TwoClients clients;

    private final String prefix = "jobs-" + UUID.randomUUID();

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
    protected JobLedger view() {
        return new RedisStores(clients.next(), prefix).jobs();
    }

    @Override
    protected AttemptLog attempts() {
        return new RedisStores(clients.first(), prefix).attempts();
    }
}
