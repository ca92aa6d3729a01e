package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.ProbeTurns;
import dev.llmdispatch.dispatch.spi.ProbeTurnsContract;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.AutoClose;

/** The probe turns contract on a real {@code redis-server}: two clients, as two workers, one prefix. */
@IntegrationTest
class RedisProbeTurnsTest extends ProbeTurnsContract {

    private final String prefix = "probeturns-" + UUID.randomUUID();

    @AutoClose
    private final TwoClients clients;

    RedisProbeTurnsTest(Infrastructure infra) {
        clients = new TwoClients(infra.redisUrl());
    }

    @Override
    protected ProbeTurns view() {
        return new RedisProbeTurns(clients.next(), prefix);
    }
}
