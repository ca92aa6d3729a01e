package dev.llmdispatch.dispatch.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@code dispatch.redis.url} names, read before any connection (settings check it at startup, the Redis
 * adapter connects to it): one server {@code redis://[[user]:password@]host[:port]}, a Redis Cluster
 * {@code redis-cluster://...host1:port1,host2:port2}, or Sentinel {@code redis-sentinel://...s1:p1,s2:p2/masterName};
 * a scheme ending in {@code s} uses TLS.
 */
public record RedisUrl(
        String topology,
        boolean tls,
        List<String> nodes,
        String masterName,
        String user,
        String password,
        String sentinelPassword) {

    private static final Pattern SCHEME = Pattern.compile("(?<scheme>rediss?(-cluster|-sentinel)?)://(?<rest>.+)");

    @Override
    public String toString() { // never the password
        return topology + (tls ? " (TLS)" : "") + " " + nodes + (masterName == null ? "" : " master " + masterName)
                + (password == null ? "" : " (with a password)");
    }

    /**
     * Reads a {@code dispatch.redis.url}; a clear error, without the password, when it is not one. The credentials end
     * at the last {@code @}, and are percent-decoded: a password may hold {@code /}, {@code @} or {@code :}
     * ({@code %2F}, {@code %40} and {@code %3A} work too).
     */
    public static RedisUrl parse(String url) {
        Matcher m = SCHEME.matcher(url == null ? "" : url.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("dispatch.redis.url must be redis://host:port, rediss://..., "
                    + "redis-cluster://host1:port1,host2:port2 or redis-sentinel://host1:port1,host2:port2/master, "
                    + "but was '" + DispatchSettings.redactUrl(url) + "'");
        }
        String scheme = m.group("scheme");
        String rest = m.group("rest");
        int at = rest.lastIndexOf('@');
        String credentials = at < 0 ? null : rest.substring(0, at);
        String address = rest.substring(at + 1);
        int slash = address.indexOf('/');
        String hosts = slash < 0 ? address : address.substring(0, slash);
        String path = slash < 0 ? null : address.substring(slash + 1);
        boolean tls = scheme.startsWith("rediss");
        String topology =
                scheme.endsWith("-cluster") ? "cluster" : scheme.endsWith("-sentinel") ? "sentinel" : "single";
        List<String> nodes = new ArrayList<>();
        for (String hostPort : hosts.split(",")) {
            String h = hostPort.trim();
            if (h.isEmpty()) {
                continue;
            }
            if (!h.matches("[A-Za-z0-9._\\-]+(:\\d+)?|\\[[0-9A-Fa-f:.]+](:\\d+)?")) {
                throw new IllegalArgumentException("dispatch.redis.url '" + DispatchSettings.redactUrl(url)
                        + "' has a host that is not host or host:port: '" + h + "'");
            }
            nodes.add((tls ? "rediss://" : "redis://") + (h.matches(".*:\\d+$") ? h : h + ":" + defaultPort(topology)));
        }
        if (nodes.isEmpty() || (topology.equals("single") && nodes.size() != 1)) {
            throw new IllegalArgumentException(
                    "dispatch.redis.url '" + DispatchSettings.redactUrl(url) + "' names " + nodes.size()
                            + " hosts: one for a single server, several for redis-cluster:// or redis-sentinel://");
        }
        String sentinelPassword = null;
        if (path != null && path.contains("?")) {
            String query = path.substring(path.indexOf('?') + 1);
            path = path.substring(0, path.indexOf('?'));
            for (String param : query.split("&")) {
                if (param.startsWith("sentinel-password=")) {
                    sentinelPassword = decode(param.substring("sentinel-password=".length()));
                } else if (!param.isEmpty()) {
                    throw new IllegalArgumentException("dispatch.redis.url '" + DispatchSettings.redactUrl(url)
                            + "' has an unknown parameter (only sentinel-password): '" + param.split("=", 2)[0] + "'");
                }
            }
        }
        String master = path == null || path.isBlank() ? null : path.trim();
        if (topology.equals("sentinel") && master == null) {
            throw new IllegalArgumentException("dispatch.redis.url '" + DispatchSettings.redactUrl(url)
                    + "' names no master: redis-sentinel://host1:port1,host2:port2/masterName");
        }
        String user = null;
        String password = null;
        if (credentials != null) {
            int colon = credentials.indexOf(':');
            if (colon < 0) {
                password = decode(credentials); // redis://password@host: AUTH password
            } else {
                user = decode(credentials.substring(0, colon));
                password = decode(credentials.substring(colon + 1));
            }
        }
        return new RedisUrl(
                topology,
                tls,
                List.copyOf(nodes),
                topology.equals("sentinel") ? master : null,
                user == null || user.isEmpty() ? null : user,
                password == null || password.isEmpty() ? null : password,
                sentinelPassword == null || sentinelPassword.isEmpty() ? null : sentinelPassword);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static int defaultPort(String topology) {
        return topology.equals("sentinel") ? 26379 : 6379;
    }
}
