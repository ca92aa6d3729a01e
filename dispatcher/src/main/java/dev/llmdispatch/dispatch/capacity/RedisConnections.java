package dev.llmdispatch.dispatch.capacity;

import dev.llmdispatch.dispatch.config.DispatchSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 *       password is the master's and the sentinels').
 * </ul>
 *
 * A scheme ending in {@code s} ({@code rediss://}, {@code rediss-cluster://}, {@code rediss-sentinel://}) uses TLS.
 * Reads and writes go to masters: the limits must read what was just written.
 */
public final class RedisConnections {

    private static final Pattern URL =
            Pattern.compile("(?<scheme>rediss?(-cluster|-sentinel)?)://(?:(?<user>[^:@/]*)(?::(?<password>[^@/]*))?@)?"
                    + "(?<hosts>[^/?#]+)(?:/(?<path>[^?#]*))?");

    private RedisConnections() {}

    /** What a URL names, before any connection: for messages and tests. */
    public record Target(
            String topology, boolean tls, List<String> nodes, String masterName, String user, String password) {

        @Override
        public String toString() { // never the password
            return topology + (tls ? " (TLS)" : "") + " " + nodes + (masterName == null ? "" : " master " + masterName)
                    + (password == null ? "" : " (with a password)");
        }
    }

    /** Reads a {@code dispatch.redis.url}; a clear error, without the password, when it is not one. */
    public static Target parse(String url) {
        Matcher m = URL.matcher(url == null ? "" : url.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("dispatch.redis.url must be redis://host:port, rediss://..., "
                    + "redis-cluster://host1:port1,host2:port2 or redis-sentinel://host1:port1,host2:port2/master, "
                    + "but was '" + DispatchSettings.redactUrl(url) + "'");
        }
        String scheme = m.group("scheme");
        boolean tls = scheme.startsWith("rediss");
        String topology =
                scheme.endsWith("-cluster") ? "cluster" : scheme.endsWith("-sentinel") ? "sentinel" : "single";
        List<String> nodes = new ArrayList<>();
        for (String hostPort : m.group("hosts").split(",")) {
            String h = hostPort.trim();
            if (h.isEmpty()) {
                continue;
            }
            nodes.add((tls ? "rediss://" : "redis://") + (h.matches(".*:\\d+$") ? h : h + ":" + defaultPort(topology)));
        }
        if (nodes.isEmpty() || (topology.equals("single") && nodes.size() != 1)) {
            throw new IllegalArgumentException(
                    "dispatch.redis.url '" + DispatchSettings.redactUrl(url) + "' names " + nodes.size()
                            + " hosts: one for a single server, several for redis-cluster:// or redis-sentinel://");
        }
        String path = m.group("path");
        String master = path == null || path.isBlank() ? null : path.trim();
        if (topology.equals("sentinel") && master == null) {
            throw new IllegalArgumentException("dispatch.redis.url '" + DispatchSettings.redactUrl(url)
                    + "' names no master: redis-sentinel://host1:port1,host2:port2/masterName");
        }
        String user = m.group("user");
        String password = m.group("password");
        if (password == null && user != null && !user.isEmpty()) {
            password = user; // redis://password@host: AUTH password
            user = null;
        }
        return new Target(
                topology,
                tls,
                List.copyOf(nodes),
                topology.equals("sentinel") ? master : null,
                user == null || user.isEmpty() ? null : user,
                password == null || password.isEmpty() ? null : password);
    }

    public static RedissonClient create(String url) {
        Target target = parse(url);
        Config config = new Config();
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
                if (target.password() != null) {
                    sentinel.setSentinelPassword(target.password());
                }
                if (target.user() != null) {
                    sentinel.setSentinelUsername(target.user());
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

    private static int defaultPort(String topology) {
        return topology.equals("sentinel") ? 26379 : 6379;
    }
}
