package dev.llmdispatch.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import dev.llmdispatch.dispatch.spi.CapacityStore.Decision;
import dev.llmdispatch.dispatch.spi.CapacityStore.Reason;
import dev.llmdispatch.testkit.FreePorts;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedis;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNodes;

/**
 * Redis restarted from a copy older than its last writes (an RDB or AOF file that missed the last second, a lagging
 * replica promoted), on a real {@code redis-server} and the real scripts: the grants made after the copy are gone
 * from it, so the state counts as lost (the simulation's rollback, issue 22 hole 1). Before, the account came back
 * with its epoch and granted the lost permit again: three calls in flight on an account allowed two.
 */
@IntegrationTest
class RedisRollbackTest {

    @Test
    void a_state_restored_from_an_older_copy_grants_nothing_until_the_fleet_has_put_back_its_permits()
            throws IOException {
        Path dir = Files.createTempDirectory("redis-rollback");
        int port = FreePorts.next();
        List<String> files = List.of("dir " + dir, "dbfilename dump.rdb");
        AccountKeys keys = AccountKeys.of("rollback-test", "acct");
        AccountKeys.Declaration limits = new AccountKeys.Declaration(2, -1, -1, -1, -1);
        LocalRedis first = LocalRedis.start(port, files);
        RedissonClient client = RedisConnections.create(first.url());
        try {
            CapacityStore store = new RedisCapacityStore(client, "rollback-test");
            Decision one = store.acquire(keys, limits, ask("p1", ""));
            assertThat(one.granted()).isTrue();
            client.getRedisNodes(RedisNodes.SINGLE).getInstance().save(); // the copy: one permit in flight
            Decision two = store.acquire(keys, limits, ask("p2", one.epoch()));
            assertThat(two.granted()).as("the second permit, after the copy").isTrue();

            first.close(); // the process dies; the next one loads the copy, without p2
            LocalRedis second = LocalRedis.start(port, files);
            try {
                Decision after = await().atMost(Duration.ofSeconds(30))
                        .ignoreExceptions()
                        .until(() -> store.acquire(keys, limits, ask("p3", one.epoch())), d -> d != null);
                assertThat(after.reason())
                        .as("p2 is still at the provider: the account must not hand its place to p3")
                        .isIn(Reason.EPOCH, Reason.REBUILDING);
                // the worker holding p1 and p2 puts them back under the new epoch; the account then counts both
                String now =
                        store.restore(keys, limits, one.epoch(), "unused", Map.of("p1", 60_000L, "p2", 60_000L), 1_000);
                assertThat(store.usage(keys, limits).inFlight()).isEqualTo(2);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> store.acquire(keys, limits, ask("p4", now)).reason() != Reason.REBUILDING);
                assertThat(store.acquire(keys, limits, ask("p5", now)).reason()).isEqualTo(Reason.CONCURRENCY);
            } finally {
                second.close();
            }
        } finally {
            client.shutdown();
        }
    }

    private static CapacityStore.Ask ask(String permit, String epoch) {
        return new CapacityStore.Ask(
                permit, false, 60_000, "r-" + permit, 0, epoch, "e-" + permit, false, 1_000, null, null);
    }
}
