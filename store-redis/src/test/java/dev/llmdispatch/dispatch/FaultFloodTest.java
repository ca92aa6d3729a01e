package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.internal.JobDispatcher;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.dispatch.internal.provider.ProviderClient;
import dev.llmdispatch.dispatch.internal.resilience.AccountHealth;
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.dispatch.internal.resilience.EmergencyMonitor;
import dev.llmdispatch.dispatch.internal.resilience.HealthProber;
import dev.llmdispatch.dispatch.internal.routing.RoutePlanner;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.SimAccount;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.store.redis.RedisConnections;
import dev.llmdispatch.store.redis.RedisStores;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * The dispatcher's fault tolerance over real parts: 2000 jobs through two "workers" (each its own Redisson client,
 * gate, cooldowns, circuit breakers, prober and dispatcher, sharing one real Redis) against the simulator over HTTP,
 * with 30% of answers failing. The rules themselves, one fault at a time, are {@link ResilienceTest}'s.
 */
@IntegrationTest
class FaultFloodTest {

    private static final ResilienceSettings RESILIENCE = new ResilienceSettings(
            3,
            Duration.ofMillis(20),
            Duration.ofMillis(200),
            Duration.ofSeconds(5),
            null,
            null,
            null,
            5,
            null,
            Duration.ofMillis(500));

    private final Infrastructure infra;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> alerts = new ConcurrentLinkedQueue<>();
    private Simulator simulator;
    private String keyPrefix;

    FaultFloodTest(Infrastructure infra) {
        this.infra = infra;
    }

    /** One worker's dispatch stack. */
    private record Worker(
            JobDispatcher dispatcher,
            AccountHealth health,
            HealthProber prober,
            EmergencyMonitor emergency,
            Cooldowns cooldowns) {}

    private Worker worker() {
        return worker(null);
    }

    private Worker worker(Limits limits) {
        DispatchSettings settings = TestSettings.settings(TestSettings.defaultProviders(simulator.baseUrl(), limits));
        CapacitySettings capacity = CapacitySettings.of(
                        keyPrefix, Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofMillis(10))
                .withQuietOnNewState(false);
        RedissonClient redis = RedisConnections.create(infra.redisUrl());
        toClose.add(redis::shutdown);
        RedisStores stores = new RedisStores(redis, keyPrefix);
        ProviderClient client = new ProviderClient();
        toClose.add(client);
        Cooldowns cooldowns = new Cooldowns(stores.blocks(), Clock.systemUTC());
        toClose.add(cooldowns);
        HealthEvents events = new HealthEvents() {
            @Override
            public void accountDisabled(String account, String why) {
                alerts.add("disabled " + account);
            }

            @Override
            public void circuitOpened(String account, String why) {
                alerts.add("circuit " + account);
            }
        };
        AccountHealth health = new AccountHealth(RESILIENCE, cooldowns, events);
        CapacityGate gate =
                new CapacityGate(stores.capacity(), settings, capacity, Clock.systemUTC(), cooldowns).start();
        toClose.add(gate);
        EmergencyMonitor emergency = new EmergencyMonitor(settings, cooldowns, stores.emergencyFlag(), events);
        HealthProber prober = new HealthProber(
                settings, client, health, stores.probeTurns(), Duration.ofMillis(300), events, gate, RESILIENCE);
        JobDispatcher dispatcher = JobDispatcher.builder(new RoutePlanner(settings), client, gate, health, RESILIENCE)
                .emergency(emergency::active)
                .build();
        return new Worker(dispatcher, health, prober, emergency, cooldowns);
    }

    private void startSimulator(LatencyModel latency) {
        startSimulator(SimulatorConfig.of(DefaultAccounts.accounts(0.1), latency));
    }

    private void startSimulator(SimulatorConfig config) {
        simulator = Simulator.start(config);
        toClose.add(simulator);
        keyPrefix = "resilience-" + UUID.randomUUID();
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static List<DispatchOutcome> runAll(List<Worker> workers, List<Job> jobs) throws Exception {
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<DispatchOutcome>> futures = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            Worker w = workers.get(i % workers.size());
            Job job = jobs.get(i);
            futures.add(pool.submit(() -> w.dispatcher().dispatch(job, Priority.MEDIUM)));
        }
        List<DispatchOutcome> outcomes = new ArrayList<>();
        for (Future<DispatchOutcome> f : futures) {
            outcomes.add(f.get());
        }
        pool.shutdown();
        return outcomes;
    }

    private static List<Job> jobs(String prefix, int n, Tier tier) {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(
                    Job.chat(prefix + i, "question " + i).toBuilder().tier(tier).build());
        }
        return jobs;
    }

    @Test
    void succeeds_for_999_in_1000_of_2000_jobs_when_30_percent_of_answers_are_500() throws Exception {
        // limits out of the way (concurrency only): this is about failures, and 2000 jobs should run in seconds
        startSimulator(SimulatorConfig.of(
                DefaultAccounts.accounts(0.1).stream()
                        .map(a -> new SimAccount(a.id(), a.key(), 0, null, 10, 0, a.style()))
                        .toList(),
                LatencyModel.uniform(1, 5)));
        var limits = Limits.of(null, null, 10, null, null);
        List<Worker> fleet = List.of(worker(limits), worker(limits));
        simulator.inject(Fault.of("*", "flaky", 0.3));
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            Tier tier = Tier.values()[i % 3];
            jobs.add(
                    i % 5 == 4
                            ? Job.embedding("flaky-" + i, "text " + i)
                            : Job.chat("flaky-" + i, "question " + i).toBuilder()
                                    .tier(tier)
                                    .build());
        }
        // with 30% failures a run of five happens now and then: circuits open, and the probes (as each worker
        // runs them) bring the accounts back
        var probes = Executors.newSingleThreadScheduledExecutor();
        probes.scheduleWithFixedDelay(
                () -> fleet.forEach(w -> w.prober().probeOnce()), 100, 100, TimeUnit.MILLISECONDS);
        List<DispatchOutcome> outcomes;
        try {
            outcomes = runAll(fleet, jobs);
        } finally {
            probes.shutdownNow();
        }

        long succeeded =
                outcomes.stream().filter(o -> o.status() == JobStatus.SUCCEEDED).count();
        assertThat(succeeded)
                .as(() -> "why the others failed: "
                        + outcomes.stream()
                                .filter(o -> o.status() != JobStatus.SUCCEEDED)
                                .map(o -> o.error() + " after " + o.attempts())
                                .toList())
                .isGreaterThanOrEqualTo(1998);
        // the attempt budget: at most 3 calls per account of the route (3 accounts for chat and embeddings)
        assertThat(outcomes).allSatisfy(o -> assertThat(o.attempts().size()).isLessThanOrEqualTo(3 * 3));
        assertThat(outcomes)
                .allSatisfy(o -> assertThat(o.attempts()).allSatisfy(a -> {
                    Map<String, Long> perAccount = o.attempts().stream()
                            .collect(Collectors.groupingBy(x -> x.account(), Collectors.counting()));
                    assertThat(perAccount.values())
                            .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(3));
                }));
    }
}
