package dev.llmdispatch.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.dispatch.spi.BlockStore;
import dev.llmdispatch.dispatch.spi.BlockStoreContract;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.redisson.api.RMap;
import org.redisson.client.codec.StringCodec;

/** Cooldowns set by one worker reach every other worker's local copy, over a real Redis. */
@IntegrationTest
class RedisBlockStoreTest extends BlockStoreContract {

    private final String prefix = "blocks-" + UUID.randomUUID();

    @AutoClose
    private final TwoClients clients;

    RedisBlockStoreTest(Infrastructure infra) {
        clients = new TwoClients(infra.redisUrl());
    }

    @Override
    protected BlockStore view() {
        return new RedisBlockStore(clients.next(), prefix, Clock.systemUTC());
    }

    @Override
    protected void eventually(BooleanSupplier condition) {
        await().atMost(Duration.ofSeconds(5)).until(condition::getAsBoolean);
    }

    @Test
    void a_block_and_its_lifting_reach_the_other_worker_and_a_worker_that_starts_later_sees_it() {
        try (Cooldowns one = new Cooldowns(
                        new RedisBlockStore(clients.first(), prefix, Clock.systemUTC()), Clock.systemUTC());
                Cooldowns two = new Cooldowns(
                        new RedisBlockStore(clients.second(), prefix, Clock.systemUTC()), Clock.systemUTC())) {
            one.block("nvidia-1", Duration.ofMinutes(1), BlockReason.CIRCUIT_OPEN);
            assertThat(one.isBlocked("nvidia-1")).isTrue(); // at once where it was set
            await().atMost(Duration.ofSeconds(5)).until(() -> two.isBlocked("nvidia-1"));
            assertThat(two.blocked("nvidia-1").orElseThrow().reason()).isEqualTo(BlockReason.CIRCUIT_OPEN);

            try (Cooldowns late =
                    new Cooldowns(new RedisBlockStore(clients.first(), prefix, Clock.systemUTC()), Clock.systemUTC())) {
                assertThat(late.all()).containsOnlyKeys("nvidia-1"); // read when it starts, before any change
            }

            two.unblock("nvidia-1");
            await().atMost(Duration.ofSeconds(5)).until(() -> !one.isBlocked("nvidia-1"));
            assertThat(one.all()).isEmpty();
        }
    }

    /**
     * Hole 10 of issue 22: a cooldown was an end time on the clock of the worker that set it, so a worker whose clock is
     * ahead read a 429's Retry-After as over already, and one behind kept the account out for longer. It is a time on
     * Redis's clock now, and each worker reads it on its own as the time left.
     */
    @Test
    void a_block_lasts_its_time_on_every_worker_whatever_their_clocks() {
        Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(5));
        Clock behind = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-5));
        try (Cooldowns one = new Cooldowns(new RedisBlockStore(clients.first(), prefix, ahead), ahead);
                Cooldowns two = new Cooldowns(new RedisBlockStore(clients.second(), prefix, behind), behind)) {
            one.block("nvidia-1", Duration.ofSeconds(30), BlockReason.RATE_LIMITED);
            await().atMost(Duration.ofSeconds(5)).until(() -> two.isBlocked("nvidia-1"));
            assertThat(left(two, "nvidia-1", behind))
                    .as("the worker 10 s behind keeps it out for the 30 s it was set for, not 40")
                    .isBetween(25_000L, 30_100L);

            two.block("hunyuan-1", Duration.ofSeconds(30), BlockReason.RATE_LIMITED);
            await().atMost(Duration.ofSeconds(5)).until(() -> one.isBlocked("hunyuan-1"));
            assertThat(left(one, "hunyuan-1", ahead))
                    .as("the worker 10 s ahead keeps it out for 30 s, not 20")
                    .isBetween(25_000L, 30_100L);

            try (Cooldowns late = new Cooldowns(new RedisBlockStore(clients.first(), prefix, behind), behind)) {
                assertThat(left(late, "hunyuan-1", behind))
                        .as("read whole when a worker starts")
                        .isBetween(25_000L, 30_100L);
            }
        }
    }

    private static long left(Cooldowns cooldowns, String account, Clock clock) {
        return cooldowns.blocked(account).orElseThrow().untilMillis() - clock.millis();
    }

    @Test
    void a_change_whose_message_was_lost_is_read_within_a_second_or_so() {
        try (Cooldowns worker =
                new Cooldowns(new RedisBlockStore(clients.first(), prefix, Clock.systemUTC()), Clock.systemUTC())) {
            RMap<String, String> hash =
                    clients.second().getMap(RedisKeys.of(prefix).cooldowns(), StringCodec.INSTANCE);
            // written without an announcement, as when the worker was disconnected while another one wrote it
            hash.fastPut("hunyuan-1", (System.currentTimeMillis() + 60_000) + "|QUOTA_EXHAUSTED");
            await().atMost(Duration.ofSeconds(5)).until(() -> worker.isBlocked("hunyuan-1"));
            assertThat(worker.blocked("hunyuan-1").orElseThrow().reason()).isEqualTo(BlockReason.QUOTA_EXHAUSTED);

            hash.delete(); // Redis restarted empty
            await().atMost(Duration.ofSeconds(5)).until(() -> worker.all().isEmpty());
        }
    }
}
