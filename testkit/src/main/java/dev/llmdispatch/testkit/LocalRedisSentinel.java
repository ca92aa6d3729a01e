package dev.llmdispatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Sentinel on loopback ({@code redis-server sentinel.conf --sentinel}) watching one master by name, for
 * tests of the {@code redis-sentinel://} URL. The sentinel itself takes no password; the master's is given to it.
 */
public final class LocalRedisSentinel implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path dir;

    private LocalRedisSentinel(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static LocalRedisSentinel start(String masterName, int masterPort, String masterPassword) {
        int port = FreePorts.next();
        try {
            Path dir = Files.createTempDirectory("redis-sentinel");
            Path conf = dir.resolve("sentinel.conf");
            Files.write(
                    conf,
                    List.of(
                            "port " + port,
                            "bind 127.0.0.1",
                            "dir " + dir,
                            "sentinel monitor " + masterName + " 127.0.0.1 " + masterPort + " 1",
                            "sentinel auth-pass " + masterName + " " + masterPassword,
                            "sentinel down-after-milliseconds " + masterName + " 5000"));
            Process process = new ProcessBuilder(LocalRedis.binary().getPath(), conf.toString(), "--sentinel")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("sentinel.log").toFile())
                    .start();
            LocalRedisSentinel sentinel = new LocalRedisSentinel(process, port, dir);
            sentinel.awaitMaster(masterName);
            return sentinel;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the sentinel answers with the master's address, for up to 20 s. */
    private void awaitMaster(String masterName) {
        ServerPoll.until(
                "the Redis sentinel (see " + dir.resolve("sentinel.log") + ")",
                20,
                () -> {
                    String reply = RedisWire.command(port, List.of("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName));
                    return !reply.startsWith("ERR") && !reply.isEmpty();
                },
                process::isAlive);
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
