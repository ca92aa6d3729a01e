package dev.llmdispatch.dispatch.spi;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Where cached answers are kept, by key: {@code RedisResponseCache} for the fleet, {@link #inMemory()} for tests. */
public interface ResponseCache extends AutoCloseable {

    /** The entries stored under these keys (absent keys are left out), in one round trip. */
    Map<String, String> getAll(List<String> keys);

    /** Stores entries, each expiring after {@code ttl}. */
    void putAll(Map<String, String> entries, Duration ttl);

    @Override
    default void close() {}

    /** Entries kept in this JVM, never expiring. */
    static ResponseCache inMemory() {
        Map<String, String> stored = new ConcurrentHashMap<>();
        return new ResponseCache() {
            @Override
            public Map<String, String> getAll(List<String> keys) {
                Map<String, String> out = new HashMap<>();
                keys.forEach(k -> {
                    String v = stored.get(k);
                    if (v != null) {
                        out.put(k, v);
                    }
                });
                return out;
            }

            @Override
            public void putAll(Map<String, String> entries, Duration ttl) {
                stored.putAll(entries);
            }
        };
    }
}
