package dev.llmdispatch.dispatch.spi;

import dev.llmdispatch.dispatch.AccountBlock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the fleet's cooldowns are kept: {@code RedisBlockStore} shares them across workers; {@link #inMemory()} keeps
 * them in one JVM, for fast tests of the rules that read them. Reads must not wait on the network: they come from the
 * hot path of every job.
 */
public interface BlockStore extends AutoCloseable {

    /** Every block stored, ended or not: a local view, read without a network call. */
    Map<String, AccountBlock> blocks();

    /** The account's block stored, ended or not, or null; read without a network call. */
    AccountBlock get(String account);

    void put(String account, AccountBlock block);

    void remove(String account);

    /**
     * Marks an outage of the account for {@code lasting}, or renews the mark.
     *
     * @return true for the call that set it, false while it was already there
     */
    boolean markOutage(String account, Duration lasting);

    void endOutage(String account);

    @Override
    default void close() {}

    /** Blocks kept in this JVM only (outage marks never expire: tests end them with {@link #endOutage}). */
    static BlockStore inMemory() {
        Map<String, AccountBlock> blocks = new ConcurrentHashMap<>();
        Map<String, Boolean> outages = new ConcurrentHashMap<>();
        return new BlockStore() {
            @Override
            public Map<String, AccountBlock> blocks() {
                return Map.copyOf(blocks);
            }

            @Override
            public AccountBlock get(String account) {
                return blocks.get(account);
            }

            @Override
            public void put(String account, AccountBlock block) {
                blocks.put(account, block);
            }

            @Override
            public void remove(String account) {
                blocks.remove(account);
            }

            @Override
            public boolean markOutage(String account, Duration lasting) {
                return outages.putIfAbsent(account, true) == null;
            }

            @Override
            public void endOutage(String account) {
                outages.remove(account);
            }
        };
    }
}
