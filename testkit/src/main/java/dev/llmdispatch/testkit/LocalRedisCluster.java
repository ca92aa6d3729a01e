package dev.llmdispatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real Redis Cluster on loopback: {@code masters} {@code redis-server} processes in cluster mode, the 16,384 hash
 * slots split evenly between them, joined with {@code CLUSTER MEET} (what {@code redis-cli --cluster create} does,
 * without needing redis-cli). No replicas, no persistence.
 */
public final class LocalRedisCluster implements AutoCloseable {

    private static final int SLOTS = 16_384;

    private final List<LocalRedis> nodes;
    private final Path dir;

    private LocalRedisCluster(List<LocalRedis> nodes, Path dir) {
        this.nodes = nodes;
        this.dir = dir;
    }

    public static LocalRedisCluster start(int masters) {
        List<LocalRedis> nodes = new ArrayList<>();
        try {
            Path dir = Files.createTempDirectory("redis-cluster");
            for (int i = 0; i < masters; i++) {
                int port = FreePorts.next();
                nodes.add(LocalRedis.start(
                        port,
                        List.of(
                                "cluster-enabled yes",
                                "cluster-config-file " + dir.resolve("nodes-" + port + ".conf"),
                                "cluster-node-timeout 5000",
                                "dir " + dir)));
            }
            for (int i = 0; i < masters; i++) {
                int from = i * SLOTS / masters;
                int to = (i + 1) * SLOTS / masters;
                List<String> command = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
                for (int slot = from; slot < to; slot++) {
                    command.add(Integer.toString(slot));
                }
                expectOk(RedisWire.command(nodes.get(i).port(), command));
            }
            for (int i = 1; i < masters; i++) {
                expectOk(RedisWire.command(
                        nodes.get(0).port(),
                        List.of(
                                "CLUSTER",
                                "MEET",
                                "127.0.0.1",
                                Integer.toString(nodes.get(i).port()))));
            }
            LocalRedisCluster cluster = new LocalRedisCluster(nodes, dir);
            cluster.awaitOk();
            return cluster;
        } catch (IOException | RuntimeException e) {
            nodes.forEach(LocalRedis::close);
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** Waits until every node sees every slot served ({@code cluster_state:ok}), for up to 30 s. */
    private void awaitOk() {
        ServerPoll.until(
                "the Redis cluster (cluster_state:ok on every node)",
                30,
                () -> {
                    for (LocalRedis node : nodes) {
                        String info = RedisWire.command(node.port(), List.of("CLUSTER", "INFO"));
                        if (!info.contains("cluster_state:ok")
                                || !info.contains("cluster_known_nodes:" + nodes.size())) {
                            return false;
                        }
                    }
                    return true;
                },
                () -> true);
    }

    /** {@code redis-cluster://127.0.0.1:P1,127.0.0.1:P2,...} */
    public String url() {
        return "redis-cluster://"
                + nodes.stream().map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
    }

    public List<Integer> ports() {
        return nodes.stream().map(LocalRedis::port).toList();
    }

    /** Keys held by each node ({@code DBSIZE}), in node order. */
    public List<Long> keysPerNode() {
        List<Long> sizes = new ArrayList<>();
        for (LocalRedis node : nodes) {
            try {
                sizes.add(Long.parseLong(
                        RedisWire.command(node.port(), List.of("DBSIZE")).trim()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sizes;
    }

    @Override
    public void close() {
        nodes.forEach(LocalRedis::close);
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }

    private static void expectOk(String reply) {
        if (!reply.startsWith("OK")) {
            throw new IllegalStateException("Redis cluster setup: " + reply);
        }
    }
}
