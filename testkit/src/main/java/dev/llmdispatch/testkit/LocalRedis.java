package dev.llmdispatch.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * A real {@code redis-server} process on a free loopback port: the one on PATH when there is one,
 * else the binary shipped in the embedded-redis artifact. No persistence.
 */
public final class LocalRedis implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalRedis.class);

    private final RedisServer server;
    private final int port;

    private LocalRedis(RedisServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /** Starts redis-server on the given port, or a free one when {@code port <= 0}. */
    public static LocalRedis start(int port) {
        return start(port, List.of());
    }

    /** As {@link #start(int)}, with more {@code redis.conf} lines (e.g. {@code cluster-enabled yes}). */
    public static LocalRedis start(int port, List<String> settings) {
        int redisPort = port > 0 ? port : FreePorts.next();
        try {
            File binary = binary();
            ExecutableProvider executable = () -> binary;
            var builder = RedisServer.newRedisServer()
                    .executableProvider(executable)
                    .bind("127.0.0.1")
                    .port(redisPort)
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .setting("maxclients 1000");
            settings.forEach(builder::setting);
            RedisServer server = builder.build();
            server.start();
            log.info(
                    "redis-server ({}) at 127.0.0.1:{}",
                    onPath().map(File::getPath).orElse("embedded binary"),
                    redisPort);
            return new LocalRedis(server, redisPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server on port " + redisPort, e);
        }
    }

    /** The embedded-redis artifact's binary, extracted once for this JVM (null until then). */
    private static File extracted;

    /**
     * The redis-server binary these servers run: the one on PATH, else the embedded-redis artifact's, extracted once. A
     * binary extracted afresh for each server (the artifact's provider does that) could not be run now and then ("Text
     * file busy", seen in CI): another server of the same JVM, started at that moment, forked while the new file was
     * still open for writing.
     */
    static synchronized File binary() throws IOException {
        Optional<File> path = onPath();
        if (path.isPresent()) {
            return path.get();
        }
        if (extracted == null) {
            extracted = ExecutableProvider.newJarResourceProvider().get();
        }
        return extracted;
    }

    private static Optional<File> onPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        List<String> dirs = Arrays.asList(path.split(File.pathSeparator));
        return dirs.stream()
                .map(d -> Path.of(d, "redis-server"))
                .filter(Files::isExecutable)
                .map(Path::toFile)
                .findFirst();
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:PORT} */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (IOException e) {
            log.warn("stopping redis-server: {}", e.toString());
        }
    }
}
