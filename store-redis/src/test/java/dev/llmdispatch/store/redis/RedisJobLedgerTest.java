package dev.llmdispatch.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.JobLedger;
import dev.llmdispatch.dispatch.spi.JobLedger.Held;
import dev.llmdispatch.dispatch.spi.JobLedger.Renewal;
import dev.llmdispatch.dispatch.spi.JobLedgerContract;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.RedisWire;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** The job ledger contract on a real {@code redis-server}: two clients, as two workers, one prefix. */
@IntegrationTest
class RedisJobLedgerTest extends JobLedgerContract {

    private final String prefix = "jobs-" + UUID.randomUUID();
    private final int port;

    @AutoClose
    private final TwoClients clients;

    RedisJobLedgerTest(Infrastructure infra) {
        port = URI.create(infra.redisUrl()).getPort();
        clients = new TwoClients(infra.redisUrl());
    }

    @Override
    protected JobLedger view() {
        return new RedisStores(clients.next(), prefix).jobs();
    }

    @Override
    protected AttemptLog attempts() {
        return new RedisStores(clients.first(), prefix).attempts();
    }

    @Test
    void renewals_go_on_after_redis_forgets_its_scripts() throws Exception {
        JobLedger ledger = view();
        assertThat(ledger.start("flushed-1", "a", Duration.ofSeconds(30)).claimed())
                .isTrue();
        assertThat(ledger.start("flushed-2", "a", Duration.ofSeconds(30)).claimed())
                .isTrue();
        // SCRIPT FLUSH, or a failover to a replica without them: a pipelined batch does not recover from NOSCRIPT
        RedisWire.command(port, List.of("SCRIPT", "FLUSH"));
        assertThat(ledger.renew(
                        List.of(new Held("flushed-1", "a"), new Held("flushed-2", "b")), Duration.ofSeconds(30)))
                .containsExactly(Renewal.RENEWED, Renewal.GONE);
    }
}
