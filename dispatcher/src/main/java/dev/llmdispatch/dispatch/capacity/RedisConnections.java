package dev.llmdispatch.dispatch.capacity;

import java.net.URI;
import java.time.Duration;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.redisson.config.EqualJitterDelay;

/** Redisson clients from {@code dispatch.redis.url} ({@code redis://}, {@code rediss://}, with user:password). */
public final class RedisConnections {
    private RedisConnections() {}

    public static RedissonClient create(String url) {
        URI uri = URI.create(url);
        Config config = new Config();
        config.setUseScriptCache(true); // the capacity scripts go by SHA, loaded again after a Redis restart
        var server = config.useSingleServer()
                .setAddress(uri.getScheme() + "://" + uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 6379))
                .setConnectionMinimumIdleSize(4)
                .setConnectionPoolSize(32)
                // back within a second of Redis: a restarted Redis is noticed, and the limit state rebuilt, at once
                .setReconnectionDelay(new EqualJitterDelay(Duration.ofMillis(100), Duration.ofSeconds(1)));
        if (uri.getUserInfo() != null) {
            // redis://password@host (AUTH password) or redis://user:password@host (an ACL user)
            String[] parts = uri.getUserInfo().split(":", 2);
            if (parts.length == 2 && !parts[0].isEmpty()) {
                config.setUsername(parts[0]);
            }
            config.setPassword(parts[parts.length - 1]);
        }
        return Redisson.create(config);
    }
}
