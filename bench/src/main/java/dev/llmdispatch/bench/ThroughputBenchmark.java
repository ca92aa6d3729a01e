package dev.llmdispatch.bench;

import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.SimAccount;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.LocalKafka;
import dev.llmdispatch.testkit.LocalRedis;
import dev.llmdispatch.testkit.RedisWire;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How many jobs a second llm-dispatch moves when the providers are not the limit, against the plainest loop that does
 * the same (consume, one HTTP call, produce: {@link BaselineLoop}), on the same broker and the same simulator, each in
 * a JVM of its own started the same way: jobs a second, CPU per job, and the process's memory (resident set and, for
 * the worker, heap) while it drains the flood.
 */
@Command(
        name = "throughput",
        mixinStandardHelpOptions = true,
        description = "llm-dispatch against a plain Kafka consume → HTTP → produce loop, the providers not the limit.")
public final class ThroughputBenchmark implements Callable<Integer> {

    static final String BASELINE_JOBS = "bench.baseline.jobs";
    static final String BASELINE_RESULTS = "bench.baseline.results";

    @Option(names = "--jobs", description = "jobs measured for each, after a warm-up (default ${DEFAULT-VALUE})")
    int jobs = 20_000;

    @Option(names = "--warm-up", description = "jobs each runs first, not measured (default ${DEFAULT-VALUE})")
    int warmUp = 3_000;

    @Option(
            names = "--concurrency",
            description = "calls in flight at the provider, for both (default ${DEFAULT-VALUE}: the worker's "
                    + "dispatch.consumer.max-in-flight)")
    int concurrency = 64;

    @Option(names = "--workers", description = "worker processes (default ${DEFAULT-VALUE})")
    int workers = 1;

    @Option(
            names = "--worker-jvm-option",
            description =
                    "an extra JVM option for the workers (repeatable), e.g. -XX:StartFlightRecording:filename=w.jfr")
    List<String> workerJvmOptions = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        // every default account without a window, and a provider that answers at once
        List<SimAccount> accounts = DefaultAccounts.generous(concurrency * workers);
        try (LocalRedis redis = LocalRedis.start(0);
                LocalKafka kafka = LocalKafka.start();
                Simulator simulator = Simulator.start(SimulatorConfig.of(accounts, LatencyModel.NONE));
                KafkaProducer<String, byte[]> producer = producer(kafka.bootstrapServers())) {
            System.out.printf(
                    "%nllm-dispatch throughput benchmark: %d jobs after %d warm-up, %d in flight, provider "
                            + "latency 0 ms, %d worker process(es) with %s%n",
                    jobs, warmUp, concurrency, workers, BenchProcess.JVM_OPTIONS);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(
                                new NewTopic(BASELINE_JOBS, Topics.DEFAULT_PARTITIONS, (short) 1),
                                new NewTopic(BASELINE_RESULTS, Topics.DEFAULT_PARTITIONS, (short) 1)))
                        .all()
                        .get();
            }
            FloodRun.Figures baseline;
            try (BenchProcess loop = BenchProcess.main(
                    "baseline",
                    BaselineLoop.class.getName(),
                    List.of(
                            kafka.bootstrapServers(),
                            BASELINE_JOBS,
                            BASELINE_RESULTS,
                            simulator.baseUrl(),
                            DefaultAccounts.HUNYUAN_1_KEY,
                            "hunyuan-turbos-latest",
                            Integer.toString(concurrency)))) {
                FleetGroups.awaitStable(kafka.bootstrapServers(), "bench-baseline", 1);
                FloodRun run = new FloodRun(kafka.bootstrapServers(), producer, List.of(loop));
                run.drain("baseline warm-up", BASELINE_JOBS, BASELINE_RESULTS, warmUp, false);
                baseline = run.drain("baseline", BASELINE_JOBS, BASELINE_RESULTS, jobs, false);
            }
            simulator.reset();
            List<BenchProcess> fleet = new ArrayList<>();
            try {
                for (int i = 0; i < workers; i++) {
                    List<String> args = BenchProcess.workerArgs(kafka.bootstrapServers(), redis.url());
                    args.add("--dispatch.consumer.max-in-flight=" + concurrency);
                    args.addAll(DefaultAccounts.workerProperties(simulator.baseUrl(), accounts));
                    List<String> jvm = new ArrayList<>(BenchProcess.JVM_OPTIONS);
                    jvm.addAll(workerJvmOptions);
                    fleet.add(BenchProcess.worker("worker-" + i, args, jvm));
                }
                FleetGroups.awaitStable(kafka.bootstrapServers(), Topics.DEFAULT_WORKER_GROUP, workers);
                FloodRun run = new FloodRun(kafka.bootstrapServers(), producer, fleet);
                FloodRun.Figures warm =
                        run.drain("llm-dispatch warm-up", Topics.DEFAULT_MEDIUM, Topics.DEFAULT_RESULTS, warmUp, true);
                long redisBefore = RedisWire.commandsProcessed(redis.port());
                Map<String, Double> tripsBefore = BenchProcess.roundTrips(fleet);
                FloodRun.Figures dispatch =
                        run.drain("llm-dispatch", Topics.DEFAULT_MEDIUM, Topics.DEFAULT_RESULTS, jobs, true);
                long redisCommands = RedisWire.commandsProcessed(redis.port()) - redisBefore;
                Map<String, Double> tripsAfter = BenchProcess.roundTrips(fleet);
                System.out.printf(
                        "  adaptive concurrency limits at the end (configured %d): %s%n",
                        concurrency * workers,
                        fleet.get(0).metricBy("llm_dispatch_account_adaptive_limit", "", "account"));
                double trips = BenchProcess.total(tripsAfter) - BenchProcess.total(tripsBefore);
                System.out.printf(
                        "%n  llm-dispatch ÷ baseline: %.0f%% of the baseline's jobs/s, %.1f× its CPU per job; "
                                + "Redis per job: %.1f round trips from the workers (%s), %.1f commands at the server "
                                + "(a script's own included)%n",
                        100 * dispatch.jobsPerSecond() / baseline.jobsPerSecond(),
                        dispatch.cpuMillisPerJob() / baseline.cpuMillisPerJob(),
                        trips / jobs,
                        BenchProcess.perJob(tripsBefore, tripsAfter, jobs, 8),
                        redisCommands / (double) jobs);
                new Bounds()
                        .atLeast(
                                "jobs/s against the baseline loop's",
                                100 * dispatch.jobsPerSecond() / baseline.jobsPerSecond(),
                                50,
                                "%")
                        .atMost("Redis round trips per job", trips / jobs, 3, "")
                        .atMost(
                                "old generation's peak under the flood ÷ under the warm-up (memory bounded)",
                                dispatch.peakOldGenBytes() / (double) Math.max(1, warm.peakOldGenBytes()),
                                2,
                                "×")
                        .print("against the performance bounds (this machine):");
            } finally {
                for (BenchProcess w : fleet) {
                    w.close();
                }
            }
        }
        return 0;
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.LINGER_MS_CONFIG,
                        5,
                        ProducerConfig.BATCH_SIZE_CONFIG,
                        256 * 1024),
                new StringSerializer(),
                new ByteArraySerializer());
    }
}
