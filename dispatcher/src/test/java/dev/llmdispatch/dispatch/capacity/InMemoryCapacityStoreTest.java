package dev.llmdispatch.dispatch.capacity;

import static org.assertj.core.api.Assertions.fail;

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

    @Override
    protected void eventually(Duration within, BooleanSupplier condition) {
        long deadline = time.deadline(within);
        while (!condition.getAsBoolean()) {
            if (time.passed(deadline)) {
                fail("not within " + within + " of the store's time");
            }
            time.advance(Duration.ofMillis(25));
        }
    }

    @Override
    protected void lose(AccountKeys account) {
        store.lose(account);
    }
}
