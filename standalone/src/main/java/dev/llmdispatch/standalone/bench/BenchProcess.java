package dev.llmdispatch.standalone.bench;

import dev.llmdispatch.testkit.FreePorts;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM of its own started from this benchmark's jar (a worker, or the baseline loop), as a deployment runs it: its
 * CPU time, resident memory and, for a worker, its heap as it reports it. Its output goes to {@code target/bench/NAME.log}.
 */
public final class BenchProcess implements AutoCloseable {

    /** The JVM options every benchmark process gets, worker and baseline alike: what a deployment's image sets. */
    public static final List<String> JVM_OPTIONS = List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError");

    public static final String ADMIN_TOKEN = "bench-admin-token";

    private final String name;
    private final Process process;
    private final long launchedNanos;
    private final int httpPort;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private BenchProcess(String name, Process process, long launchedNanos, int httpPort) {
        this.name = name;
        this.process = process;
        this.launchedNanos = launchedNanos;
        this.httpPort = httpPort;
    }

    /** A worker ({@code WorkerApplication}) with these arguments, its HTTP port free and its admin token set. */
    public static BenchProcess worker(String name, List<String> args, List<String> jvmOptions) throws IOException {
        int port = FreePorts.next();
        List<String> all = new ArrayList<>(args);
        all.add("--server.port=" + port);
        all.add("--dispatch.security.admin-token=" + ADMIN_TOKEN);
        return start(name, "dev.llmdispatch.worker.WorkerApplication", all, jvmOptions, port);
    }

    /** Any main class of this jar, with these arguments. */
    public static BenchProcess main(String name, String mainClass, List<String> args) throws IOException {
        return start(name, mainClass, args, JVM_OPTIONS, 0);
    }

    private static BenchProcess start(
            String name, String mainClass, List<String> args, List<String> jvmOptions, int httpPort)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        String classPath = System.getProperty("java.class.path");
        if (classPath.endsWith(".jar") && !classPath.contains(File.pathSeparator)) {
            // the benchmark's own executable jar: its launcher runs the class asked for
            command.addAll(List.of(
                    "-Dloader.main=" + mainClass,
                    "-cp",
                    classPath,
                    "org.springframework.boot.loader.launch.PropertiesLauncher"));
        } else {
            command.addAll(List.of("-cp", classPath, mainClass));
        }
        command.addAll(args);
        Path logs = Path.of("target", "bench");
        Files.createDirectories(logs);
        long launched = System.nanoTime();
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile())
                .start();
        return new BenchProcess(name, process, launched, httpPort);
    }

    public String name() {
        return name;
    }

    /** When it was launched, on {@link System#nanoTime()}. */
    public long launchedNanos() {
        return launchedNanos;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** CPU time it has used so far (user and system), in milliseconds. */
    public long cpuMillis() {
        return process.toHandle()
                .info()
                .totalCpuDuration()
                .map(Duration::toMillis)
                .orElse(-1L);
    }

    /** Its resident set size in bytes (Linux {@code /proc}), or -1 where that cannot be read. */
    public long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * The sum of a worker's Prometheus samples of this metric whose labels contain {@code labelFilter} (empty: all),
     * from {@code /actuator/prometheus}; -1 when it does not answer.
     */
    public double metric(String name, String labelFilter) {
        if (httpPort <= 0) {
            return -1;
        }
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/actuator/prometheus"))
                            .header("Authorization", "Bearer " + ADMIN_TOKEN)
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return -1;
            }
            double sum = 0;
            for (String line : response.body().split("\n")) {
                if ((line.startsWith(name + "{") || line.startsWith(name + " ")) && line.contains(labelFilter)) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Stops it as a deployment would (SIGTERM), then outright after 30 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
