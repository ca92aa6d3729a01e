package dev.llmdispatch.bench;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.SimAccount;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.testkit.LocalKafka;
import dev.llmdispatch.testkit.LocalRedis;
import dev.llmdispatch.testkit.RedisWire;
import dev.llmdispatch.worker.WorkerApplication;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import dev.llmdispatch.worker.observe.Metrics;
import dev.llmdispatch.worker.security.Secrets;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The fleet benchmark: N workers (each its own Spring context, Kafka consumer and Redisson client) against
 * the simulator with the default accounts at compressed time. Phase 1 measures dispatch overhead with
 * capacity free; phase 2 saturates every account with mixed tiers and priorities and measures utilisation,
 * limit violations, throughput and queue wait by priority. Not a test: it prints figures.
 */
@Command(
        name = "benchmark",
        mixinStandardHelpOptions = true,
        description = "Measures llm-dispatch against the provider simulator on this machine.",
        subcommands = {ThroughputBenchmark.class, ScaleBenchmark.class, StartupBenchmark.class})
public final class FleetBenchmark implements Callable<Integer> {

    @Option(names = "--workers", description = "worker instances (default ${DEFAULT-VALUE})")
    int workers = 3;

    @Option(names = "--jobs", description = "jobs in the saturation phase (default ${DEFAULT-VALUE})")
    int jobs = 1500;

    @Mixin
    SimulatedProviders providers = new SimulatedProviders();

    @Option(
            names = "--overhead-jobs",
            description = "jobs in the overhead phase, 5 a second (default ${DEFAULT-VALUE})")
    int overheadJobs = 100;

    @Option(
            names = "--commit-interval-ms",
            description = "the workers' dispatch.consumer.commit-interval: how often "
                    + "outcomes and offsets are committed in a transaction, ms (default ${DEFAULT-VALUE})")
    long commitIntervalMs = 50;

    private final List<ConfigurableApplicationContext> fleet = new ArrayList<>();
    /** The figures held to the performance bounds, printed at the end. */
    private final Bounds bounds = new Bounds();
    /** The limits' Redis, for its command counts ({@code INFO commandstats}). */
    private int redisPort;
    /** Redis commands a second of the idle fleet (renewals, syncs, traffic figures), measured before phase 1. */
    private double idleRedisPerSecond;
    /** The idle fleet's Redis round trips a second, as its clients count them. */
    private double idleRoundTripsPerSecond;

    /** The benchmark tenant's API key, made for this run. */
    private static final String BENCH_KEY = Secrets.newKey();

    public static void main(String[] args) {
        System.exit(new CommandLine(new FleetBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<SimAccount> accounts = providers.accounts();
        try (LocalRedis redis = LocalRedis.start(0);
                LocalKafka kafka = LocalKafka.start();
                Simulator simulator = providers.start()) {
            try {
                for (int i = 0; i < workers; i++) {
                    List<String> args = BenchProcess.workerArgs(kafka.bootstrapServers(), redis.url());
                    args.addAll(List.of(
                            "--server.port=0",
                            "--dispatch.consumer.commit-interval=" + commitIntervalMs + "ms",
                            "--dispatch.tenants.bench.keys[0]=" + BENCH_KEY));
                    args.addAll(DefaultAccounts.workerProperties(simulator.baseUrl(), providers.timeScale()));
                    fleet.add(new SpringApplicationBuilder(WorkerApplication.class).run(args.toArray(String[]::new)));
                }
                try (JobClient client = JobClient.builder(kafka.bootstrapServers())
                        .defaultTimeout(Duration.ofMinutes(30))
                        .build()) {
                    System.out.printf(
                            "%nllm-dispatch fleet benchmark: %d workers, %d jobs, time scale %.2f, "
                                    + "provider latency log-normal median %d ms, outcomes committed every %d ms%n",
                            workers, jobs, providers.timeScale(), providers.latencyMs(), commitIntervalMs);
                    warmUp(client);
                    FleetGroups.awaitStable(kafka.bootstrapServers(), Topics.DEFAULT_WORKER_GROUP, workers);
                    redisPort = redis.port();
                    idleRedis();
                    overhead(client, simulator);
                    ingress(simulator);
                    saturation(client, simulator, accounts);
                    bounds.print("against the performance bounds (this machine):");
                }
            } finally {
                fleet.forEach(ConfigurableApplicationContext::close);
            }
        }
        return 0;
    }

    /** Lets the consumer group settle and the JIT warm up: 30 jobs, not measured. */
    private static void warmUp(JobClient client) throws Exception {
        List<Job> warm = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            warm.add(Job.chat("warm-" + i, "warm up").toBuilder()
                    .tier(Tier.TIER_2)
                    .build());
        }
        CompletableFuture.allOf(client.submitAll(warm, Priority.MEDIUM).toArray(CompletableFuture[]::new))
                .get(10, TimeUnit.MINUTES);
    }

    /** Phase 1: jobs at 5 a second, far below capacity: produced → request at the provider. */
    private void overhead(JobClient client, Simulator simulator) throws Exception {
        simulator.reset();
        RedisMark redisBefore = redisMark();
        double[] dispatcherBefore = dispatcherOverhead();
        double[] jobStartBefore = timerSoFar(Metrics.JOB_START);
        Map<String, Long> producedAt = new HashMap<>();
        Map<String, Long> receivedAt = new ConcurrentHashMap<>();
        List<CompletableFuture<JobResult>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < overheadJobs; i++) {
            paceFiveASecond(start, i);
            Job job = Job.chat("overhead-" + i, "hello " + i).toBuilder()
                    .tier(Tier.TIER_2)
                    .build();
            producedAt.put(job.id(), System.currentTimeMillis());
            futures.add(client.submit(job, Priority.MEDIUM).thenApply(r -> {
                receivedAt.put(r.id(), System.currentTimeMillis());
                return r;
            }));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        Histogram overhead = new Histogram(3);
        List<String> slow = new ArrayList<>();
        firstCalls(simulator).forEach((id, at) -> {
            if (producedAt.containsKey(id)) {
                long ms = Math.max(0, at - producedAt.get(id));
                overhead.recordValue(ms);
                if (ms > 250) {
                    slow.add(id + "=" + ms + "ms");
                }
            }
        });
        System.out.printf(
                "%nphase 1 — dispatch overhead with capacity free (%d jobs, produced → request at the "
                        + "provider):%n  p50 %d ms   p99 %d ms   max %d ms%n",
                overhead.getTotalCount(),
                overhead.getValueAtPercentile(50),
                overhead.getValueAtPercentile(99),
                overhead.getMaxValue());
        bounds.atMost("dispatch overhead with capacity free, p50", overhead.getValueAtPercentile(50), 5, " ms")
                .atMost("dispatch overhead with capacity free, p99", overhead.getValueAtPercentile(99), 15, " ms");
        if (!slow.isEmpty()) {
            System.out.println("  over 250 ms: " + slow);
        }
        // where it goes: produced → taken by a worker (producer linger, broker, poll, buffer, start: the result's
        // queuedMs), the wait for capacity (waitMs: Redis permit and window), and the rest until the request
        // arrives (claim, stored-answer check, budget, route, HTTP send)
        Map<String, Long> firstCall = firstCalls(simulator);
        Histogram queued = new Histogram(3);
        Histogram permits = new Histogram(3);
        Histogram rest = new Histogram(3);
        for (CompletableFuture<JobResult> f : futures) {
            JobResult r = f.join();
            Long at = firstCall.get(r.id());
            if (at != null && producedAt.containsKey(r.id())) {
                long total = Math.max(0, at - producedAt.get(r.id()));
                queued.recordValue(r.timings().queuedMs());
                permits.recordValue(r.timings().waitMs());
                rest.recordValue(
                        Math.max(0, total - r.timings().queuedMs() - r.timings().waitMs()));
            }
        }
        System.out.printf(
                "  of which (p50 / p99): produced → taken by a worker %d / %d ms, capacity (Redis) %d / %d ms, "
                        + "claim, checks, route and HTTP send %d / %d ms%n",
                queued.getValueAtPercentile(50),
                queued.getValueAtPercentile(99),
                permits.getValueAtPercentile(50),
                permits.getValueAtPercentile(99),
                rest.getValueAtPercentile(50),
                rest.getValueAtPercentile(99));
        // the way back: the provider's answer ready → the result read by the client (read_committed), that is the
        // outcome stored, written and committed with its offset in a transaction
        Histogram back = new Histogram(3);
        for (CallLog.Call c : simulator.calls().all()) {
            Long received = c.jobId() == null ? null : receivedAt.get(c.jobId());
            if (received != null && c.outcome().equals(CallLog.OK)) {
                back.recordValue(Math.max(0, received - (c.atMillis() + c.latencyMs())));
            }
        }
        System.out.printf(
                "  answer ready at the provider → result read (read_committed): p50 %d ms   p99 %d ms   "
                        + "max %d ms%n",
                back.getValueAtPercentile(50), back.getValueAtPercentile(99), back.getMaxValue());
        double[] dispatcherAfter = dispatcherOverhead();
        double[] jobStartAfter = timerSoFar(Metrics.JOB_START);
        double startMean = (jobStartAfter[1] - jobStartBefore[1]) / Math.max(1, jobStartAfter[0] - jobStartBefore[0]);
        double dispatcherMean =
                (dispatcherAfter[1] - dispatcherBefore[1]) / Math.max(1, dispatcherAfter[0] - dispatcherBefore[0]);
        System.out.printf(
                "  the last part, as means (%.1f ms): job taken → dispatcher (record read, claim_start, checks) %.1f ms, "
                        + "in the dispatcher (route, cooldowns, request body; no capacity wait) %.1f ms, the rest "
                        + "(the JDK HTTP client, loopback, the simulator's server) %.1f ms%n",
                rest.getMean(), startMean, dispatcherMean, Math.max(0, rest.getMean() - startMean - dispatcherMean));
        long transactions = fleet.stream()
                .mapToLong(w -> w.getBean(PriorityConsumer.class).transactions())
                .sum();
        System.out.printf("  transactions committed by the fleet so far (warm-up included): %d%n", transactions);
        bounds.atMost(
                "Redis round trips per job, capacity free (background taken off)",
                printRedisPerJob(redisBefore, overheadJobs),
                3,
                "");
    }

    /** The fleet's dispatch-overhead timer so far: {count, total ms}. */
    private double[] dispatcherOverhead() {
        return timerSoFar(Metrics.DISPATCH_OVERHEAD);
    }

    /** A timer of every worker in the fleet so far: {count, total ms}. */
    private double[] timerSoFar(String name) {
        double count = 0;
        double totalMs = 0;
        for (ConfigurableApplicationContext w : fleet) {
            for (Timer t : w.getBean(MeterRegistry.class).find(name).timers()) {
                count += t.count();
                totalMs += t.totalTime(TimeUnit.MILLISECONDS);
            }
        }
        return new double[] {count, totalMs};
    }

    /** The idle fleet's Redis commands and round trips a second, over 5 s: what every phase's count includes. */
    private void idleRedis() throws Exception {
        RedisMark before = redisMark();
        TimeUnit.SECONDS.sleep(5);
        double seconds = (System.nanoTime() - before.nanos()) / 1e9;
        idleRedisPerSecond = (RedisWire.commandsProcessed(redisPort) - before.commands()) / seconds;
        idleRoundTripsPerSecond =
                (BenchProcess.total(roundTrips()) - BenchProcess.total(before.roundTrips())) / seconds;
        System.out.printf(
                "%nRedis, idle fleet of %d: %.1f commands/s, %.1f round trips/s from the workers (lease renewals, "
                        + "state checks, traffic figures)%n",
                workers, idleRedisPerSecond, idleRoundTripsPerSecond);
    }

    /** Where a phase's Redis work starts: commands run, by kind, and the workers' round trips by what they carried. */
    private record RedisMark(long commands, Map<String, Long> byKind, Map<String, Double> roundTrips, long nanos) {}

    private RedisMark redisMark() throws Exception {
        return new RedisMark(
                RedisWire.commandsProcessed(redisPort),
                RedisWire.commandCalls(redisPort),
                roundTrips(),
                System.nanoTime());
    }

    /** The fleet's Redis round trips so far (its clients' own count), by what they carried. */
    private Map<String, Double> roundTrips() {
        Map<String, Double> byCommand = new HashMap<>();
        for (ConfigurableApplicationContext w : fleet) {
            for (Counter c : w.getBean(MeterRegistry.class)
                    .find(Metrics.REDIS_ROUND_TRIPS)
                    .counters()) {
                byCommand.merge(c.getId().getTag("command"), c.count(), Double::sum);
            }
        }
        return byCommand;
    }

    /**
     * Redis per job since {@code mark}, less the idle fleet's background: the round trips the workers' clients made
     * (each command, script call or pipelined batch one), and the commands the server ran (a script's own commands
     * included, as Redis counts them), with the most frequent of each.
     */
    private double printRedisPerJob(RedisMark mark, long jobs) throws Exception {
        long commands = RedisWire.commandsProcessed(redisPort) - mark.commands();
        Map<String, Long> after = RedisWire.commandCalls(redisPort);
        Map<String, Double> trips = roundTrips();
        double seconds = (System.nanoTime() - mark.nanos()) / 1e9;
        double perJob = (commands - idleRedisPerSecond * seconds) / jobs;
        double tripsPerJob =
                (BenchProcess.total(trips) - BenchProcess.total(mark.roundTrips()) - idleRoundTripsPerSecond * seconds)
                        / jobs;
        List<String> topCommands = after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - mark.byKind().getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(6)
                .map(e -> String.format("%s %.2f", e.getKey(), e.getValue() / (double) jobs))
                .toList();
        System.out.printf(
                "  Redis round trips per job: %.2f (the idle fleet's %.0f s of background taken off); with it, by what "
                        + "they carried: %s%n",
                tripsPerJob, seconds, BenchProcess.perJob(mark.roundTrips(), trips, jobs, 8));
        System.out.printf(
                "  Redis commands per job: %.2f, a script's own commands included (%.2f with the background); by kind: "
                        + "%s%n",
                perJob, commands / (double) jobs, String.join(", ", topCommands));
        return tripsPerJob;
    }

    /**
     * Phase 1b: the OpenAI-compatible way in, at 5 requests a second through one worker's {@code /v1}: a plain chat
     * completion (what the ingress adds both ways: the client's round trip less the provider's own latency) and a
     * streamed one (the first chunk at the client against the provider's own time to first chunk, a fifth of its
     * latency in the simulator).
     */
    private void ingress(Simulator simulator) throws Exception {
        simulator.reset();
        String base = "http://127.0.0.1:" + fleet.get(0).getEnvironment().getProperty("local.server.port") + "/v1";
        HttpClient http = HttpClient.newHttpClient();
        Map<String, long[]> plain = new ConcurrentHashMap<>(); // job id -> {sent, received}
        Map<String, long[]> streamed = new ConcurrentHashMap<>(); // job id -> {sent, first chunk}
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < overheadJobs; i++) {
            paceFiveASecond(start, i);
            boolean stream = i % 2 == 1;
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                    .header("Authorization", "Bearer " + BENCH_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tier-2\",\"stream\":" + stream
                            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello " + i + "\"}]}"))
                    .build();
            long sent = System.currentTimeMillis();
            if (stream) {
                calls.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                        .thenAccept(r -> {
                            String id = r.headers().firstValue("X-Job-Id").orElse("?");
                            long[] first = {0};
                            r.body().forEach(line -> {
                                if (first[0] == 0 && line.startsWith("data:")) {
                                    first[0] = System.currentTimeMillis();
                                }
                            });
                            streamed.put(id, new long[] {sent, first[0]});
                        }));
            } else {
                calls.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                        .thenAccept(r -> plain.put(
                                r.headers().firstValue("X-Job-Id").orElse("?"),
                                new long[] {sent, System.currentTimeMillis()})));
            }
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        Histogram added = new Histogram(3);
        Histogram clientFirst = new Histogram(3);
        Histogram providerFirst = new Histogram(3);
        for (CallLog.Call c : simulator.calls().all()) {
            long[] p = c.jobId() == null ? null : plain.get(c.jobId());
            if (p != null) {
                added.recordValue(Math.max(0, p[1] - p[0] - c.latencyMs()));
            }
            long[] s = c.jobId() == null ? null : streamed.get(c.jobId());
            if (s != null && s[1] > 0) {
                clientFirst.recordValue(s[1] - s[0]);
                providerFirst.recordValue(c.latencyMs() / 5);
            }
        }
        System.out.printf(
                "%nphase 1b — OpenAI-compatible ingress (/v1/chat/completions, %d plain + %d streamed, 5 a second):%n"
                        + "  added by the ingress and dispatch, both ways (round trip less provider latency): "
                        + "p50 %d ms   p99 %d ms%n"
                        + "  time to first chunk at the client: p50 %d ms   p99 %d ms"
                        + "   (the provider's own: p50 %d ms   p99 %d ms)%n",
                added.getTotalCount(),
                clientFirst.getTotalCount(),
                added.getValueAtPercentile(50),
                added.getValueAtPercentile(99),
                clientFirst.getValueAtPercentile(50),
                clientFirst.getValueAtPercentile(99),
                providerFirst.getValueAtPercentile(50),
                providerFirst.getValueAtPercentile(99));
    }

    /**
     * Phase 2: every account saturated by mixed tiers (15% embeddings): MEDIUM and LOW jobs (1:3) all put on
     * at once, and HIGH jobs (10% of the total) trickled in at 2 a second while the flood drains.
     */
    private void saturation(JobClient client, Simulator simulator, List<SimAccount> accounts) throws Exception {
        simulator.reset();
        RedisMark redisBefore = redisMark();
        Random random = new Random(42);
        Map<Priority, List<Job>> byPriority = new EnumMap<>(Priority.class);
        Map<String, Long> producedAt = new ConcurrentHashMap<>();
        Map<String, Priority> priorityOf = new HashMap<>();
        for (int i = 0; i < jobs; i++) {
            Priority priority =
                    i % 10 == 0 ? Priority.HIGH : random.nextDouble() < 0.25 ? Priority.MEDIUM : Priority.LOW;
            double k = random.nextDouble();
            Job job = k < 0.15
                    ? Job.embedding("sat-" + i, "text " + i)
                    : Job.chat("sat-" + i, "question " + i).toBuilder()
                            .tier(k < 0.5 ? Tier.TIER_1 : k < 0.8 ? Tier.TIER_2 : Tier.TIER_3)
                            .build();
            byPriority.computeIfAbsent(priority, p -> new ArrayList<>()).add(job);
            priorityOf.put(job.id(), priority);
        }
        long start = System.currentTimeMillis();
        List<CompletableFuture<JobResult>> futures = new ArrayList<>();
        for (Priority p : List.of(Priority.MEDIUM, Priority.LOW)) {
            for (Job job : byPriority.getOrDefault(p, List.of())) {
                producedAt.put(job.id(), System.currentTimeMillis());
            }
            futures.addAll(client.submitAll(byPriority.getOrDefault(p, List.of()), p));
        }
        // HIGH jobs trickle in at 2 a second while the flood is still there
        List<CompletableFuture<JobResult>> flood = List.copyOf(futures);
        List<Job> high = byPriority.getOrDefault(Priority.HIGH, List.of());
        for (int h = 0;
                h < high.size()
                        && flood.stream().filter(CompletableFuture::isDone).count() < flood.size() * 0.9;
                h++) {
            TimeUnit.MILLISECONDS.sleep(500);
            producedAt.put(high.get(h).id(), System.currentTimeMillis());
            futures.add(client.submit(high.get(h), Priority.HIGH));
        }
        CompletableFuture.allOf(flood.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
        // utilisation is measured while the flood lasted: every account had work waiting
        long saturatedUntil = System.currentTimeMillis();
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
        long end = System.currentTimeMillis();
        long failed = futures.stream().filter(f -> !f.join().succeeded()).count();

        List<CallLog.Call> calls = simulator.calls().all();
        System.out.printf(
                "%nphase 2 — saturation: %d jobs in %.1f s = %.1f jobs/s, %d not SUCCEEDED; utilisation "
                        + "over the %.1f s the MEDIUM/LOW flood lasted%n",
                futures.size(),
                (end - start) / 1000.0,
                futures.size() * 1000.0 / (end - start),
                failed,
                (saturatedUntil - start) / 1000.0);
        long violations = AccountUse.print(accounts, calls, saturatedUntil).stream()
                .mapToLong(AccountUse.Row::refused)
                .sum();
        System.out.printf("  429s from the limits, all accounts: %d%n", violations);
        bounds.atMost("429s from the limits under saturation", violations, 0, "");
        printRedisPerJob(redisBefore, futures.size());

        Map<Priority, Histogram> wait = new EnumMap<>(Priority.class);
        firstCalls(simulator).forEach((id, at) -> {
            if (producedAt.containsKey(id)) {
                wait.computeIfAbsent(priorityOf.get(id), p -> new Histogram(3))
                        .recordValue(Math.max(0, at - producedAt.get(id)));
            }
        });
        System.out.println("  queue wait by priority (produced → request at the provider):");
        wait.forEach((p, h) -> System.out.printf(
                "    %-6s n=%-5d p50 %6d ms   p99 %6d ms%n",
                p, h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(99)));
    }

    /** Sleeps until the {@code i}-th of requests sent 5 a second from {@code start} (nanos) is due. */
    private static void paceFiveASecond(long start, int i) throws InterruptedException {
        long sleep = start + TimeUnit.MILLISECONDS.toNanos(200L * i) - System.nanoTime();
        if (sleep > 0) {
            TimeUnit.NANOSECONDS.sleep(sleep);
        }
    }

    private static Map<String, Long> firstCalls(Simulator simulator) {
        Map<String, Long> first = new HashMap<>();
        for (CallLog.Call c : simulator.calls().all()) {
            if (c.jobId() != null) {
                first.merge(c.jobId(), c.atMillis(), Math::min);
            }
        }
        return first;
    }
}
