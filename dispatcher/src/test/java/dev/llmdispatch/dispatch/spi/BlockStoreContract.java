package dev.llmdispatch.dispatch.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.dispatch.AccountBlock;
import dev.llmdispatch.dispatch.BlockReason;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The accounts' blocks, one set of cases for every {@link BlockStore}: Redis (a hash and its announcements) and the
 * in-memory store the rules' unit tests use. A block written through one worker's view is read through another's
 * (at once in memory, within seconds through Redis), with the same end within milliseconds; an outage is marked once
 * until it ends.
 */
public abstract class BlockStoreContract {

    /** A worker's view of the store; every view of one test shares its state. */
    protected abstract BlockStore view();

    /** Waits until {@code condition} holds (at most a few seconds: Redis announces changes). */
    protected abstract void eventually(BooleanSupplier condition);

    @Test
    void a_block_written_by_one_worker_is_read_by_another_and_so_is_its_lifting() {
        try (BlockStore one = view();
                BlockStore two = view()) {
            AccountBlock block = new AccountBlock(System.currentTimeMillis() + 60_000, BlockReason.CIRCUIT_OPEN);
            one.put("nvidia-1", block);
            assertThat(one.get("nvidia-1")).as("at once where it was written").isEqualTo(block);
            eventually(() -> same(block, two.get("nvidia-1")));
            assertThat(two.blocks()).containsOnlyKeys("nvidia-1");

            two.remove("nvidia-1");
            eventually(() -> one.get("nvidia-1") == null);
            assertThat(one.blocks()).isEmpty();
        }
    }

    @Test
    void a_later_block_replaces_the_earlier_one() {
        try (BlockStore one = view();
                BlockStore two = view()) {
            long now = System.currentTimeMillis();
            one.put("hunyuan-1", new AccountBlock(now + 1_000, BlockReason.RATE_LIMITED));
            AccountBlock longer = new AccountBlock(now + 600_000, BlockReason.QUOTA_EXHAUSTED);
            one.put("hunyuan-1", longer);
            eventually(() -> same(longer, two.get("hunyuan-1")));
        }
    }

    /**
     * The same block as read through another view: the same reason, and the same end within a few milliseconds (a
     * store shared over the network keeps the ends on its own clock, and each view reads them on its worker's clock
     * through a measured offset).
     */
    private static boolean same(AccountBlock written, AccountBlock read) {
        return read != null
                && read.reason() == written.reason()
                && Math.abs(read.untilMillis() - written.untilMillis()) <= 50;
    }

    @Test
    void an_outage_is_marked_once_until_it_ends() {
        try (BlockStore one = view();
                BlockStore two = view()) {
            assertThat(one.markOutage("nvidia-2", Duration.ofMinutes(1))).isTrue();
            assertThat(two.markOutage("nvidia-2", Duration.ofMinutes(1)))
                    .as("another worker finds it marked")
                    .isFalse();
            assertThat(one.markOutage("nvidia-2", Duration.ofMinutes(1)))
                    .as("renewed, not set")
                    .isFalse();
            two.endOutage("nvidia-2");
            assertThat(one.markOutage("nvidia-2", Duration.ofMinutes(1))).isTrue();
            assertThat(one.markOutage("nvidia-1", Duration.ofMinutes(1)))
                    .as("another account's outage is its own")
                    .isTrue();
        }
    }
}
