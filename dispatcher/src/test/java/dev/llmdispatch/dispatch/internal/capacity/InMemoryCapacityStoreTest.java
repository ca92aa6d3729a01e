package dev.llmdispatch.dispatch.internal.capacity;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import dev.llmdispatch.time.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** The capacity contract on the in-memory store, its clock moved by hand: the same cases as on Redis, in no time. */
class InMemoryCapacityStoreTest extends CapacityStoreContract {

    private final ManualTime time = new ManualTime(Instant.now());
    private InMemoryCapacityStore store;

    @Override
    protected CapacityStore newStore() {
        store = new InMemoryCapacityStore(time.clock());
        return store;
    }

    @Override
    protected long nowMillis() {
        return time.clock().millis();
    }

    @Override
    protected void pass(Duration duration) {
        time.advance(duration);
    }

    /**
     * Moves the store's clock 25 ms at a time until the condition holds; what the store does on a thread of its own
     * (its release announcements, as pub/sub) gets a millisecond of real time between steps.
     */
    @Override
    protected void eventually(Duration within, BooleanSupplier condition) {
        long deadline = time.deadline(within);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(1))
                .until(() -> {
                    if (condition.getAsBoolean()) {
                        return true;
                    }
                    if (time.passed(deadline)) {
                        fail("not within " + within + " of the store's time");
                    }
                    time.advance(Duration.ofMillis(25));
                    return false;
                });
    }

    @Override
    protected void lose(AccountKeys account) {
        store.lose(account);
    }
}
