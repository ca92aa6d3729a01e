package dev.llmdispatch.dispatch.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.BooleanSupplier;

/** The blocks contract on the in-memory store: every view is the one store of the test, read at once. */
class InMemoryBlockStoreTest extends BlockStoreContract {

    private final BlockStore store = BlockStore.inMemory();

    @Override
    protected BlockStore view() {
        return store;
    }

    @Override
    protected void eventually(BooleanSupplier condition) {
        assertThat(condition.getAsBoolean()).as("at once, in memory").isTrue();
    }
}
