package dev.llmdispatch.bench;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

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
        return worker(name, args, jvmOptions, null);
    }

    /**
     * As {@link #worker(String, List, List)}, on {@code classPath} (null: this benchmark's own, its executable jar
     * through Spring Boot's launcher): e.g. the jar extracted to plain jars, which an AOT cache needs.
     */
    public static BenchProcess worker(String name, List<String> args, List<String> jvmOptions, String classPath)
            throws IOException {
        int port = FreePorts.next();
        List<String> all = new ArrayList<>(args);
        all.add("--server.port=" + port);
        all.add("--dispatch.security.admin-token=" + ADMIN_TOKEN);
        return start(name, WORKER_MAIN, all, jvmOptions, port, classPath);
    }

    public static final String WORKER_MAIN = "dev.llmdispatch.worker.WorkerApplication";

    /**
     * A worker's arguments every benchmark gives it: the broker, the limits' Redis, no banner, warnings and the
     * group's rebalances only (a list to add to).
     */
    public static List<String> workerArgs(String bootstrapServers, String redisUrl) {
        return new ArrayList<>(List.of(
                "--spring.kafka.bootstrap-servers=" + bootstrapServers,
                "--dispatch.redis.url=" + redisUrl,
                "--spring.main.banner-mode=off",
                "--logging.level.root=WARN",
                // the group's rebalances, with their times, to set beside a stall at the providers
                "--logging.level.org.apache.kafka.clients.consumer.internals.ConsumerCoordinator=INFO",
                "--logging.pattern.console=%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n"));
    }

    /** Any main class of this jar, with these arguments. */
    public static BenchProcess main(String name, String mainClass, List<String> args) throws IOException {
        return start(name, mainClass, args, JVM_OPTIONS, 0, null);
    }

    private static BenchProcess start(
            String name, String mainClass, List<String> args, List<String> jvmOptions, int httpPort, String explicit)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        String classPath = explicit != null ? explicit : System.getProperty("java.class.path");
        if (explicit == null && classPath.endsWith(".jar") && !classPath.contains(File.pathSeparator)) {
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

    /** Its output so far (its log file). */
    public String output() {
        try {
            return Files.readString(Path.of("target", "bench", name + ".log"));
        } catch (IOException e) {
            return "";
        }
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

    /** Round trips counted, all kinds together. */
    public static double total(Map<String, Double> roundTrips) {
        return roundTrips.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** The kinds of round trips made between two counts, most frequent first, each per job: "script:acquire 1.00". */
    public static String perJob(Map<String, Double> before, Map<String, Double> after, double jobs, int limit) {
        return after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0.0)))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(limit)
                .map(e -> String.format("%s %.2f", e.getKey(), e.getValue() / jobs))
                .collect(Collectors.joining(", "));
    }

    /** The fleet's Redis round trips so far, by what they carried. */
    static Map<String, Double> roundTrips(List<BenchProcess> fleet) {
        Map<String, Double> by = new HashMap<>();
        for (BenchProcess w : fleet) {
            Map<String, Double> one = w.metricBy("llm_dispatch_redis_round_trips_total", "", "command");
            if (one != null) {
                one.forEach((k, v) -> by.merge(k, v, Double::sum));
            }
        }
        return by;
    }

    /**
     * The sum of a worker's Prometheus samples of this metric whose labels contain {@code labelFilter} (empty: all),
     * from {@code /actuator/prometheus}; -1 when it does not answer.
     */
    public double metric(String name, String labelFilter) {
        Map<String, Double> by = metricBy(name, labelFilter, null);
        return by == null
                ? -1
                : by.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /**
     * As {@link #metric}, summed by the value of {@code label} (all under {@code ""} when null); null when it does not
     * answer.
     */
    public Map<String, Double> metricBy(String name, String labelFilter, String label) {
        if (httpPort <= 0) {
            return null;
        }
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/actuator/prometheus"))
                            .header("Authorization", "Bearer " + ADMIN_TOKEN)
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return null;
            }
            Map<String, Double> by = new HashMap<>();
            for (String line : response.body().split("\n")) {
                if ((line.startsWith(name + "{") || line.startsWith(name + " ")) && line.contains(labelFilter)) {
                    String key = "";
                    int at = label == null ? -1 : line.indexOf(label + "=\"");
                    if (at >= 0) {
                        int from = at + label.length() + 2;
                        key = line.substring(from, line.indexOf('"', from));
                    }
                    by.merge(key, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
                }
            }
            return by;
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
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
