package dev.llmdispatch.bench;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.CallLogStats;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.SimAccount;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.testkit.LocalKafka;
import dev.llmdispatch.testkit.LocalRedis;
import dev.llmdispatch.testkit.RedisWire;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The fleet at several sizes, each worker a process of its own, against the default accounts at compressed time:
 * for each size, a flood that keeps every account busy, the limits' use and violations (429s at the simulator), and
 * what each worker costs Redis. The limits are the fleet's, so the throughput should not change with its size.
 */
@Command(
        name = "scale",
        mixinStandardHelpOptions = true,
        description = "The fleet at 1, 3 and 8 worker processes against the default accounts' limits.")
public final class ScaleBenchmark implements Callable<Integer> {

    @Option(names = "--sizes", split = ",", description = "fleet sizes, worker processes (default ${DEFAULT-VALUE})")
    List<Integer> sizes = List.of(1, 3, 8);

    @Option(names = "--jobs", description = "jobs in each size's flood (default ${DEFAULT-VALUE})")
    int jobs = 1200;

    @Mixin
    SimulatedProviders providers = new SimulatedProviders();

    @Option(
            names = "--join",
            negatable = true,
            description = "a worker joins each fleet of 2 or more mid-flood (default ${DEFAULT-VALUE})")
    boolean join = true;

    /** One size's figures, for the summary. */
    private record Size(
            int workers,
            double readySeconds,
            double jobsPerSecond,
            long notSucceeded,
            long refused,
            double nvidiaRate,
            double hunyuanBusy,
            double roundTripsPerJob,
            double roundTripsPerWorkerSecond,
            double serverCommandsPerSecond,
            long joinGapMillis) {}

    @Override
    public Integer call() throws Exception {
        List<SimAccount> accounts = providers.accounts();
        List<Size> results = new ArrayList<>();
        try (LocalRedis redis = LocalRedis.start(0);
                LocalKafka kafka = LocalKafka.start();
                Simulator simulator = providers.start();
                JobClient client = JobClient.builder(kafka.bootstrapServers())
                        .defaultTimeout(Duration.ofMinutes(30))
                        .build()) {
            System.out.printf(
                    "%nllm-dispatch scale benchmark: fleets of %s worker processes (%s), %d jobs each, time scale %.2f, "
                            + "provider latency log-normal median %d ms%n",
                    sizes, BenchProcess.JVM_OPTIONS, jobs, providers.timeScale(), providers.latencyMs());
            for (int size : sizes) {
                results.add(run(size, kafka, redis, simulator, client, accounts));
            }
        }
        System.out.printf(
                "%nsummary (one run each):%n  %7s %8s %7s %5s %6s %12s %12s %12s %16s %14s%n",
                "workers",
                "ready s",
                "jobs/s",
                "fail",
                "429s",
                "nvidia rate",
                "hunyuan busy",
                "RT per job",
                "RT/s per worker",
                "Redis cmds/s");
        for (Size s : results) {
            System.out.printf(
                    "  %7d %8.1f %7.1f %5d %6d %11.1f%% %11.1f%% %12.2f %16.1f %14.0f%n",
                    s.workers(),
                    s.readySeconds(),
                    s.jobsPerSecond(),
                    s.notSucceeded(),
                    s.refused(),
                    100 * s.nvidiaRate(),
                    100 * s.hunyuanBusy(),
                    s.roundTripsPerJob(),
                    s.roundTripsPerWorkerSecond(),
                    s.serverCommandsPerSecond());
        }
        Bounds bounds = new Bounds();
        for (Size s : results) {
            String fleet = s.workers() + " worker(s): ";
            bounds.atMost(fleet + "429s from the limits", s.refused(), 0, "")
                    .atLeast(fleet + "NVIDIA's rate used", Math.round(1000 * s.nvidiaRate()) / 10.0, 95, "%")
                    .atLeast(fleet + "Hunyuan's places busy", Math.round(1000 * s.hunyuanBusy()) / 10.0, 95, "%");
            if (s.joinGapMillis() >= 0) {
                bounds.atMost(fleet + "longest gap at the providers while one joined", s.joinGapMillis(), 1000, " ms");
            }
        }
        bounds.print("against the performance bounds (this machine):");
        return 0;
    }

    private Size run(
            int size,
            LocalKafka kafka,
            LocalRedis redis,
            Simulator simulator,
            JobClient client,
            List<SimAccount> accounts)
            throws Exception {
        List<BenchProcess> fleet = new ArrayList<>();
        try {
            long launched = System.nanoTime();
            List<String> args = BenchProcess.workerArgs(kafka.bootstrapServers(), redis.url());
            args.addAll(DefaultAccounts.workerProperties(simulator.baseUrl(), providers.timeScale()));
            for (int i = 0; i < size; i++) {
                fleet.add(BenchProcess.worker("scale-" + size + "-" + i, args, BenchProcess.JVM_OPTIONS));
            }
            FleetGroups.awaitStable(kafka.bootstrapServers(), Topics.DEFAULT_WORKER_GROUP, size);
            double ready = (System.nanoTime() - launched) / 1e9;
            List<Job> warm = new ArrayList<>();
            for (int i = 0; i < 20 * size; i++) {
                warm.add(Job.chat("scale-warm-" + size + "-" + i, "warm up").toBuilder()
                        .tier(Tier.TIER_2)
                        .build());
            }
            CompletableFuture.allOf(client.submitAll(warm, Priority.MEDIUM).toArray(CompletableFuture[]::new))
                    .get(10, TimeUnit.MINUTES);
            simulator.reset();
            Map<String, Double> tripsBefore = BenchProcess.roundTrips(fleet);
            long commandsBefore = RedisWire.commandsProcessed(redis.port());
            Random random = new Random(42);
            List<Job> flood = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                double k = random.nextDouble();
                flood.add(
                        k < 0.15
                                // inputs of their own: another size's answers in the response cache would not count
                                ? Job.embedding("scale-" + size + "-" + i, "text " + size + "-" + i)
                                : Job.chat("scale-" + size + "-" + i, "question " + i).toBuilder()
                                        .tier(k < 0.5 ? Tier.TIER_1 : k < 0.8 ? Tier.TIER_2 : Tier.TIER_3)
                                        .build());
            }
            long start = System.currentTimeMillis();
            List<CompletableFuture<JobResult>> futures = new ArrayList<>();
            futures.addAll(client.submitAll(flood.subList(0, jobs / 4), Priority.MEDIUM));
            futures.addAll(client.submitAll(flood.subList(jobs / 4, jobs), Priority.LOW));
            long joinedAt = -1;
            long joinSettled = -1;
            if (join && size > 1) {
                // a worker joins the running fleet once a quarter of the flood is done: do the others stall?
                while (futures.stream().filter(CompletableFuture::isDone).count() < jobs / 4) {
                    TimeUnit.MILLISECONDS.sleep(50);
                }
                joinedAt = System.currentTimeMillis();
                fleet.add(BenchProcess.worker("scale-" + size + "-joining", args, BenchProcess.JVM_OPTIONS));
                FleetGroups.awaitStable(kafka.bootstrapServers(), Topics.DEFAULT_WORKER_GROUP, size + 1);
                joinSettled = System.currentTimeMillis();
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
            long end = System.currentTimeMillis();
            double seconds = (end - start) / 1000.0;
            Map<String, Double> tripsAfter = BenchProcess.roundTrips(fleet);
            double trips = BenchProcess.total(tripsAfter) - BenchProcess.total(tripsBefore);
            String byCommand = BenchProcess.perJob(tripsBefore, tripsAfter, jobs, 8);
            long commands = RedisWire.commandsProcessed(redis.port()) - commandsBefore;
            long failed = futures.stream().filter(f -> !f.join().succeeded()).count();
            System.out.printf(
                    "%n%d worker(s): ready %.1f s after launch (every one in the group with partitions); %d jobs in "
                            + "%.1f s = %.1f jobs/s, %d not SUCCEEDED%n",
                    size, ready, jobs, seconds, jobs / seconds, failed);
            // use over the flood, from each account's first admitted call to the last result (the tail included, as in
            // bin/benchmark's phase 2)
            List<AccountUse.Row> rows =
                    AccountUse.print(accounts, simulator.calls().all(), end);
            long refused = rows.stream().mapToLong(AccountUse.Row::refused).sum();
            double nvidia = rows.stream()
                    .filter(r -> r.account().startsWith("nvidia"))
                    .mapToDouble(AccountUse.Row::rateUse)
                    .min()
                    .orElse(0);
            double hunyuan = rows.stream()
                    .filter(r -> r.account().startsWith("hunyuan"))
                    .mapToDouble(AccountUse.Row::busy)
                    .min()
                    .orElse(0);
            long joinGap = -1;
            if (joinedAt > 0) {
                List<Long> arrivals = simulator.calls().all().stream()
                        .filter(CallLogStats::admitted)
                        .map(CallLog.Call::atMillis)
                        .sorted()
                        .toList();
                // the flood's tail (its last 5% of calls: jobs waiting for NVIDIA's windows, the rest done) has gaps of
                // its own, so the join is looked at only up to there
                long tail = arrivals.isEmpty() ? end : arrivals.get((int) (arrivals.size() * 0.95));
                long joinEnd = Math.max(joinedAt + 1, Math.min(joinSettled + 2_000, tail));
                joinGap = longestGap(arrivals, joinedAt, joinEnd)[0];
                System.out.printf(
                        "  a worker joined %.1f s into the flood; the group was whole again %.1f s later. At the "
                                + "providers, while it joined%s: %s; in the flood before it: %s%n",
                        (joinedAt - start) / 1000.0,
                        (joinSettled - joinedAt) / 1000.0,
                        joinEnd < joinSettled + 2_000
                                ? String.format(
                                        " (up to the flood's tail, %.1f s after it joined)",
                                        (joinEnd - joinedAt) / 1000.0)
                                : "",
                        pace(arrivals, joinedAt, joinEnd),
                        pace(arrivals, start + 5_000, joinedAt));
            }
            SimAccount hunyuanAccount = accounts.stream()
                    .filter(a -> a.id().startsWith("hunyuan"))
                    .findFirst()
                    .orElseThrow();
            List<Long> gaps = new CallLogStats(simulator.calls().all())
                    .refillGapsMillis(hunyuanAccount.id(), hunyuanAccount.concurrency(), start, end);
            System.out.printf(
                    "  %s: a finished call's place taken again after p50 %d ms, p90 %d ms, p99 %d ms (%d refills)%n",
                    hunyuanAccount.id(),
                    percentile(gaps, 0.5),
                    percentile(gaps, 0.9),
                    percentile(gaps, 0.99),
                    gaps.size());
            // a starved worker JVM lets a request go (window check passed) and its HTTP client takes it only later:
            // its window place then counts from when it left (over the guard, the worker also warns)
            double sendDelay = fleet.stream()
                    .map(w -> w.metricBy("llm_dispatch_request_send_delay_seconds_max", "", "account"))
                    .filter(m -> m != null)
                    .flatMap(m -> m.values().stream())
                    .mapToDouble(Double::doubleValue)
                    .max()
                    .orElse(-1);
            long lateSends = fleet.stream()
                    .mapToLong(w -> w.output()
                            .lines()
                            .filter(l -> l.contains("after it was let go"))
                            .count())
                    .sum();
            System.out.printf(
                    "  requests let go → taken by the HTTP client: longest %.0f ms in any worker; %d left later than "
                            + "the window guard (500 ms)%n",
                    sendDelay * 1000, lateSends);
            System.out.printf(
                    "  Redis: %.2f round trips per job from the workers (%s), %.1f a second per worker; the server ran "
                            + "%.0f commands a second (a script's own included)%n",
                    trips / jobs, byCommand, trips / seconds / size, commands / seconds);
            return new Size(
                    size,
                    ready,
                    jobs / seconds,
                    failed,
                    refused,
                    nvidia,
                    hunyuan,
                    trips / jobs,
                    trips / seconds / size,
                    commands / seconds,
                    joinGap);
        } finally {
            for (BenchProcess w : fleet) {
                w.close();
            }
        }
    }

    /** The longest time in {@code [from, to)} without an arrival, when it ended, and the arrivals in the span. */
    private static long[] longestGap(List<Long> arrivals, long from, long to) {
        long previous = from;
        long longest = 0;
        long gapEnd = from;
        long n = 0;
        for (long at : arrivals) {
            if (at >= from && at < to) {
                if (at - previous > longest) {
                    longest = at - previous;
                    gapEnd = at;
                }
                previous = at;
                n++;
            }
        }
        if (to - previous > longest) {
            longest = to - previous;
            gapEnd = to;
        }
        return new long[] {longest, gapEnd, n};
    }

    /** Calls a second and the longest gap between two calls arriving at the providers in {@code [from, to)}. */
    private static String pace(List<Long> arrivals, long from, long to) {
        long[] gap = longestGap(arrivals, from, to);
        long longest = gap[0];
        long gapEnd = gap[1];
        long n = gap[2];
        // calls stamped in the 50 ms after the gap: a burst means they were sent during it and stamped late (the
        // simulator, in this JVM, was paused), none or few that nothing was sent
        long end = gapEnd;
        long burst = arrivals.stream().filter(at -> at >= end && at < end + 50).count();
        return String.format(
                "%.1f calls/s, longest gap %d ms (ending %s, then %d calls in 50 ms)",
                n * 1000.0 / Math.max(1, to - from),
                longest,
                LocalTime.ofInstant(Instant.ofEpochMilli(end), ZoneId.systemDefault()),
                burst);
    }

    private static long percentile(List<Long> sorted, double p) {
        return sorted.isEmpty() ? -1 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
    }
}
