package dev.llmdispatch.store.redis;

import static org.awaitility.Awaitility.await;

import dev.llmdispatch.dispatch.internal.capacity.CapacityStoreContract;
import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.redisson.api.RedissonClient;

/** The capacity contract on the Lua scripts in a real Redis, whose clock is real time. */
abstract class RedisStoreContract extends CapacityStoreContract {

    private final RedissonClient redis;

    RedisStoreContract(String url) {
        this.redis = RedisConnections.create(url);
    }

    @AfterEach
    void close() {
        redis.shutdown();
    }

    @Override
    protected CapacityStore newStore() {
        return new RedisCapacityStore(redis, prefix);
    }

    @Override
    protected long nowMillis() {
        return Clock.systemUTC().millis(); // the server is on this machine: its TIME is this clock
    }

    @Override
    protected void pass(Duration time) {
        await().pollDelay(time).atMost(time.plusSeconds(1)).until(() -> true);
    }

    @Override
    protected void eventually(Duration within, BooleanSupplier condition) {
        await().atMost(within).until(condition::getAsBoolean);
    }

    @Override
    protected void lose(AccountKeys account) {
        redis.getKeys().deleteByPattern(account.state().replace(":state", "") + "*");
    }
}
