package dev.llmdispatch.dispatch.internal.resilience;

import dev.llmdispatch.dispatch.AccountBlock;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.dispatch.spi.BlockStore;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Fleet-wide "account in cooldown until T" marks, set by a 429's Retry-After, a spent quota, a refused key or an open
 * circuit, so that every worker skips a failing account at once. The rules are here (a longer block stays, a block
 * ends at its time); where the marks are kept is a {@link BlockStore}: Redis for a fleet ({@link #onRedis}), memory
 * for a test. Reads are local, so the hot path never waits on Redis for them.
 */
public final class Cooldowns implements AccountBlocks, AutoCloseable {

    private final BlockStore store;
    private final Clock clock;

    public Cooldowns(BlockStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Blocks an account for {@code duration} (a longer block already there stays). */
    public void block(String account, Duration duration, BlockReason reason) {
        long until = clock.millis() + duration.toMillis();
        AccountBlock current = blocked(account).orElse(null);
        if (current != null && current.untilMillis() >= until && current.reason() == reason) {
            return;
        }
        store.put(account, new AccountBlock(Math.max(until, current == null ? 0 : current.untilMillis()), reason));
    }

    /**
     * Marks an outage of the account as known to the fleet, for {@code lasting} (renewed by each call).
     *
     * @return true for the call that started it (the one worker that announces it), false while it is known
     */
    public boolean outage(String account, Duration lasting) {
        return store.markOutage(account, lasting);
    }

    /** Lifts an account's block (a health probe found it healthy), and ends its outage. */
    public void unblock(String account) {
        store.endOutage(account);
        store.remove(account);
    }

    /** The account's block in force now, if any. */
    public Optional<AccountBlock> blocked(String account) {
        AccountBlock block = store.get(account);
        return block != null && block.untilMillis() > clock.millis() ? Optional.of(block) : Optional.empty();
    }

    public boolean isBlocked(String account) {
        return blocked(account).isPresent();
    }

    /** Every block in force now. */
    public Map<String, AccountBlock> all() {
        Map<String, AccountBlock> out = new HashMap<>();
        long now = clock.millis();
        store.blocks().forEach((account, block) -> {
            if (block.untilMillis() > now) {
                out.put(account, block);
            }
        });
        return out;
    }

    @Override
    public void close() {
        store.close();
    }
}
