package dev.llmdispatch.store.redis;

import org.redisson.api.RedissonClient;

/**
 * Two Redisson clients on one Redis (or Cluster), as two workers, for the stores' contracts: {@link #next()} hands them
 * out in turn, so that consecutive views of a store are different workers'.
 */
final class TwoClients implements AutoCloseable {

    private final RedissonClient first;
    private final RedissonClient second;
    private int turn;

    TwoClients(String url) {
        this.first = RedisConnections.create(url);
        this.second = RedisConnections.create(url);
    }

    /** The other worker's client from the one handed out last. */
    synchronized RedissonClient next() {
        return turn++ % 2 == 0 ? first : second;
    }

    RedissonClient first() {
        return first;
    }

    RedissonClient second() {
        return second;
    }

    @Override
    public void close() {
        first.shutdown();
        second.shutdown();
    }
}
