package dev.llmdispatch.store.redis;

import static org.awaitility.Awaitility.await;

import dev.llmdispatch.dispatch.spi.BlockStore;
import dev.llmdispatch.dispatch.spi.BlockStoreContract;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedisCluster;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** The blocks contract on a three-master Redis Cluster: two workers' clients, the announcements through the cluster. */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class RedisClusterBlockStoreTest extends BlockStoreContract {

    private static TwoClients clients;

    private final String prefix = "blocks-" + UUID.randomUUID();

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
    protected BlockStore view() {
        return new RedisBlockStore(clients.next(), prefix, java.time.Clock.systemUTC());
    }

    @Override
    protected void eventually(BooleanSupplier condition) {
        await().atMost(Duration.ofSeconds(5)).until(condition::getAsBoolean);
    }
}
