package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.config.RedisUrl;
import java.time.Duration;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.BaseMasterSlaveServersConfig;
import org.redisson.config.Config;
import org.redisson.config.EqualJitterDelay;
import org.redisson.config.ReadMode;

/**
 * Redisson clients from {@code dispatch.redis.url}, for the three ways Redis is run:
 *
 * <ul>
 *   <li>one server: {@code redis://[[user]:password@]host[:port]};
 *   <li>a Redis Cluster: {@code redis-cluster://[[user]:password@]host1:port1,host2:port2,...} (any reachable nodes;
 *       the others are discovered). Every key one script uses is in one hash slot ({@code {account}},
 *       {@code {tenant:…}}), so the limits are exact on a cluster;
 *   <li>Sentinel: {@code redis-sentinel://[[user]:password@]sentinel1:port1,sentinel2:port2/masterName} (the
 *       credentials are the master's; {@code ?sentinel-password=...} when the sentinels take one too).
 * </ul>
 *
 * A scheme ending in {@code s} ({@code rediss://}, {@code rediss-cluster://}, {@code rediss-sentinel://}) uses TLS.
 * Reads and writes go to masters: the limits must read what was just written.
 */
public final class RedisConnections {

    private RedisConnections() {}

    public static RedissonClient create(String url) {
        return create(url, null);
    }

    /** As {@link #create(String)}; {@code roundTrips} (null: none) counts every request the client writes. */
    public static RedissonClient create(String url, RedisRoundTrips roundTrips) {
        RedisUrl target = RedisUrl.parse(url);
        Config config = new Config();
        if (roundTrips != null) {
            config.setNettyHook(roundTrips);
        }
        config.setUseScriptCache(true); // the capacity scripts go by SHA, loaded again after a Redis restart
        if (target.user() != null) {
            config.setUsername(target.user());
        }
        if (target.password() != null) {
            config.setPassword(target.password());
        }
        // back within a second of Redis: a restarted Redis is noticed, and the limit state rebuilt, at once
        EqualJitterDelay reconnect = new EqualJitterDelay(Duration.ofMillis(100), Duration.ofSeconds(1));
        switch (target.topology()) {
            case "cluster" -> {
                var cluster = config.useClusterServers()
                        .addNodeAddress(target.nodes().toArray(String[]::new))
                        .setScanInterval(1000);
                pools(cluster, reconnect);
            }
            case "sentinel" -> {
                var sentinel = config.useSentinelServers()
                        .setMasterName(target.masterName())
                        .addSentinelAddress(target.nodes().toArray(String[]::new))
                        .setCheckSentinelsList(false)
                        .setScanInterval(1000);
                if (target.sentinelPassword() != null) {
                    sentinel.setSentinelPassword(target.sentinelPassword());
                }
                pools(sentinel, reconnect);
            }
            default ->
                config.useSingleServer()
                        .setAddress(target.nodes().get(0))
                        .setConnectionMinimumIdleSize(4)
                        .setConnectionPoolSize(32)
                        .setReconnectionDelay(reconnect);
        }
        return Redisson.create(config);
    }

    private static void pools(BaseMasterSlaveServersConfig<?> servers, EqualJitterDelay reconnect) {
        servers.setReadMode(ReadMode.MASTER)
                .setMasterConnectionMinimumIdleSize(4)
                .setMasterConnectionPoolSize(32)
                .setSlaveConnectionMinimumIdleSize(0)
                .setReconnectionDelay(reconnect);
    }
}
