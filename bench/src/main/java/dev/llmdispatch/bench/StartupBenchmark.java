package dev.llmdispatch.bench;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.LocalKafka;
import dev.llmdispatch.testkit.LocalRedis;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How long a fresh worker takes, alone on this machine, from its launch to taking a job: a job already waits on its
 * topic when the worker is launched, and the clock stops when its request reaches the provider (the simulator's
 * arrival stamp). Three ways to launch it: Spring Boot's executable jar, the jar extracted to plain jars, and the
 * extracted jar with a JDK AOT cache (JEP 483/514) made by a training run.
 */
@Command(
        name = "startup",
        mixinStandardHelpOptions = true,
        description = "A worker's launch to its first job at the provider: executable jar, extracted, AOT cache.")
public final class StartupBenchmark implements Callable<Integer> {

    private static final Pattern STARTED =
            Pattern.compile("Started WorkerApplication in ([0-9.]+) seconds \\(process running for ([0-9.]+)\\)");

    @Option(names = "--runs", description = "launches per way (default ${DEFAULT-VALUE})")
    int runs = 3;

    @Override
    public Integer call() throws Exception {
        String jar = System.getProperty("java.class.path");
        if (!jar.endsWith(".jar")) {
            System.err.println("run it from the executable jar (bin/benchmark startup): the jar is what is measured");
            return 2;
        }
        Path app = Path.of("target", "bench", "app");
        try (LocalRedis redis = LocalRedis.start(0);
                LocalKafka kafka = LocalKafka.start();
                Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.generous(5), LatencyModel.NONE));
                KafkaProducer<String, byte[]> producer = ThroughputBenchmark.producer(kafka.bootstrapServers())) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                List<NewTopic> topics = new ArrayList<>();
                for (String t : Topics.DEFAULTS.jobTopics()) {
                    topics.add(new NewTopic(t, Topics.DEFAULT_PARTITIONS, (short) 1));
                }
                admin.createTopics(topics).all().get();
            }
            List<String> args = BenchProcess.workerArgs(kafka.bootstrapServers(), redis.url());
            args.add("--logging.level." + BenchProcess.WORKER_MAIN + "=INFO"); // its "Started ... in" line
            args.addAll(DefaultAccounts.workerProperties(simulator.baseUrl(), DefaultAccounts.generous(5)));
            System.out.printf(
                    "%nllm-dispatch startup benchmark: one worker alone (%s), %d launches per way; launch → "
                            + "its first job's request at the provider%n",
                    BenchProcess.JVM_OPTIONS, runs);

            extract(jar, app);
            String extracted = app.resolve(Path.of(jar).getFileName()).toString(); // the extraction keeps its name
            Path cache = app.resolve("worker.aot");
            train(args, extracted, cache);

            Bounds bounds = new Bounds();
            for (String way : List.of("executable jar", "extracted jar", "extracted + AOT cache")) {
                List<String> jvm = new ArrayList<>(BenchProcess.JVM_OPTIONS);
                if (way.endsWith("AOT cache")) {
                    jvm.add("-XX:AOTCache=" + cache);
                }
                double slowest = measure(
                        way, args, jvm, way.startsWith("extracted") ? extracted : null, producer, simulator, kafka);
                bounds.atMost(way + ": launch → first job at the provider, slowest run,", slowest, 5, " s");
            }
            bounds.print("against the performance bound (a fresh worker takes jobs within 5 s of launch alone):");
        }
        return 0;
    }

    /** Launches the worker {@code runs} times; answers the slowest launch → first job, in seconds. */
    private double measure(
            String way,
            List<String> args,
            List<String> jvm,
            String classPath,
            KafkaProducer<String, byte[]> producer,
            Simulator simulator,
            LocalKafka kafka)
            throws Exception {
        double slowest = 0;
        for (int run = 1; run <= runs; run++) {
            String id = "startup-" + way.replaceAll("[^a-z]+", "-") + "-" + run + "-" + System.nanoTime();
            Job job = Job.chat(id, "hello").toBuilder().tier(Tier.TIER_2).build();
            producer.send(new ProducerRecord<>(Topics.DEFAULT_MEDIUM, id, JobCodec.toBytes(job)))
                    .get();
            try (BenchProcess worker = BenchProcess.worker("startup-" + run, args, jvm, classPath)) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                Long at = null;
                while (at == null && System.nanoTime() < deadline && worker.alive()) {
                    at = simulator.calls().all().stream()
                            .filter(c -> id.equals(c.jobId()))
                            .map(CallLog.Call::atMillis)
                            .findFirst()
                            .orElse(null);
                    TimeUnit.MILLISECONDS.sleep(20);
                }
                if (at == null) {
                    throw new IllegalStateException(way + ": the worker took no job in 3 minutes; see "
                            + Path.of("target", "bench", "startup-" + run + ".log"));
                }
                long launchedAtMillis = System.currentTimeMillis()
                        - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - worker.launchedNanos());
                slowest = Math.max(slowest, (at - launchedAtMillis) / 1000.0);
                Matcher started = STARTED.matcher(worker.output());
                System.out.printf(
                        "  %-22s run %d: first job at the provider %5.1f s after launch%s%n",
                        way,
                        run,
                        (at - launchedAtMillis) / 1000.0,
                        started.find()
                                ? String.format(
                                        " (Spring context ready at %s s, the JVM's own start %.1f s)",
                                        started.group(2),
                                        Double.parseDouble(started.group(2)) - Double.parseDouble(started.group(1)))
                                : "");
            }
            FleetGroups.awaitEmpty(kafka.bootstrapServers(), Topics.DEFAULT_WORKER_GROUP);
        }
        return slowest;
    }

    /** Spring Boot's own extraction of the executable jar into plain jars ({@code -Djarmode=tools}). */
    private static void extract(String jar, Path app) throws IOException, InterruptedException {
        run(List.of(javaBin(), "-Djarmode=tools", "-jar", jar, "extract", "--force", "--destination", app.toString()));
    }

    /**
     * The training run: the worker started against this benchmark's broker and Redis and stopped when its context is
     * ready ({@code spring.context.exit=onRefresh}), the classes it loaded written to the cache.
     */
    private static void train(List<String> args, String classPath, Path cache)
            throws IOException, InterruptedException {
        Files.deleteIfExists(cache);
        List<String> command = new ArrayList<>(List.of(
                javaBin(),
                "-XX:AOTCacheOutput=" + cache,
                "-Dspring.context.exit=onRefresh",
                "-cp",
                classPath,
                BenchProcess.WORKER_MAIN,
                "--server.port=0"));
        command.addAll(args);
        long start = System.nanoTime();
        run(command);
        System.out.printf(
                "  AOT cache made by a training run in %.1f s: %s (%d MB)%n",
                (System.nanoTime() - start) / 1e9, cache, Files.size(cache) / (1024 * 1024));
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Path log = Path.of("target", "bench", "startup-prepare.log");
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("failed: " + String.join(" ", command.subList(0, 3)) + " ...; see " + log);
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
