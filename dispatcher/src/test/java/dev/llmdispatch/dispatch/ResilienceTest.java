package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.ErrorCode;
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
import dev.llmdispatch.dispatch.redis.RedisConnections;
import dev.llmdispatch.dispatch.redis.RedisStores;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.SimAccount;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
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
 * Fault tolerance against the simulator's fault injection, with two "workers": each its own Redisson client,
 * gate, cooldowns, circuit breakers and dispatcher, sharing one real Redis.
 */
@IntegrationTest
class ResilienceTest {

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

    ResilienceTest(Infrastructure infra) {
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
        CapacityGate gate = new CapacityGate(stores.capacity(), settings, capacity, Clock.systemUTC(), cooldowns);
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
    void a_429_storm_rests_the_account_across_the_fleet_for_its_retry_after() throws Exception {
        startSimulator(LatencyModel.fixed(20));
        List<Worker> fleet = List.of(worker(), worker());
        simulator.inject(Fault.storm("hunyuan-1", 1500));

        // one worker meets the storm; the other has never called hunyuan-1 and must hear of the rest from it
        DispatchOutcome first = runAll(List.of(fleet.get(0)), jobs("storm-first-", 1, Tier.TIER_2))
                .get(0);
        assertThat(first.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(first.account()).startsWith("nvidia");
        long firstStorm = simulator.calls().all().stream()
                .filter(c -> "hunyuan-1".equals(c.account()) && c.status() == 429)
                .mapToLong(CallLog.Call::atMillis)
                .min()
                .orElseThrow();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> fleet.get(1).cooldowns().isBlocked("hunyuan-1"));

        List<DispatchOutcome> outcomes = runAll(fleet, jobs("storm-", 40, Tier.TIER_2));

        assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED));
        // every call of the flood starts after both workers know of the rest: none may reach hunyuan-1 until the
        // Retry-After (1500 ms from the 429, which came back after firstStorm) is over
        assertThat(simulator.calls().all())
                .filteredOn(c -> "hunyuan-1".equals(c.account())
                        && c.jobId().startsWith("storm-")
                        && !c.jobId().startsWith("storm-first-")
                        && c.atMillis() < firstStorm + 1450)
                .as("calls to hunyuan-1 while it rests")
                .isEmpty();
        assertThat(outcomes.stream()
                        .filter(o -> o.account().startsWith("nvidia"))
                        .count())
                .isGreaterThan(30);

        // the rest ends by itself: once it is over, the account takes work again
        simulator.clearFaults(null);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !fleet.get(1).cooldowns().isBlocked("hunyuan-1"));
        assertThat(fleet.get(1)
                        .dispatcher()
                        .dispatch(
                                Job.chat("after-storm", "x").toBuilder()
                                        .tier(Tier.TIER_2)
                                        .build(),
                                Priority.MEDIUM)
                        .account())
                .isEqualTo("hunyuan-1");
    }

    @Test
    void a_refused_key_disables_the_account_after_its_first_answer_and_alerts() throws Exception {
        startSimulator(LatencyModel.fixed(5));
        List<Worker> fleet = List.of(worker(), worker());
        simulator.inject(Fault.status("hunyuan-1", 401));
        // one job first, so that the refusal is known before the rest start
        assertThat(runAll(fleet, jobs("key-first-", 1, Tier.TIER_2)).get(0).account())
                .startsWith("nvidia");
        // the other worker hears of it (pub/sub) before the flood: what is tested is that it then never calls
        await().atMost(Duration.ofSeconds(5))
                .until(() -> fleet.get(1).cooldowns().isBlocked("hunyuan-1"));

        List<DispatchOutcome> outcomes = runAll(fleet, jobs("key-", 20, Tier.TIER_2));

        assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED));
        assertThat(simulator.calls().all())
                .filteredOn(c -> "hunyuan-1".equals(c.account()))
                .hasSize(1);
        assertThat(alerts).containsExactly("disabled hunyuan-1");
        assertThat(fleet.get(1).cooldowns().blocked("hunyuan-1"))
                .get()
                .extracting(AccountBlock::reason)
                .isEqualTo(BlockReason.UNAUTHORIZED);
    }

    @Test
    void a_down_account_opens_its_circuit_then_sees_only_probes_until_it_recovers() throws Exception {
        startSimulator(LatencyModel.fixed(5));
        List<Worker> fleet = List.of(worker(), worker());
        simulator.inject(Fault.of("nvidia-1", "down", 1.0));
        List<Job> first = jobs("down-a-", 4, Tier.TIER_1);
        for (Job job : first) {
            // one by one: the circuit opens after 5 consecutive failures, on whichever worker sees them
            assertThat(fleet.get(0).dispatcher().dispatch(job, Priority.HIGH).status())
                    .isEqualTo(JobStatus.SUCCEEDED);
        }
        assertThat(alerts).contains("circuit nvidia-1");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> fleet.get(1).cooldowns().isBlocked("nvidia-1"));
        long openedAt = System.currentTimeMillis();

        List<DispatchOutcome> outcomes = runAll(fleet, jobs("down-b-", 30, Tier.TIER_1));
        assertThat(outcomes).allSatisfy(o -> {
            assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(o.attempts()).isEmpty();
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> fleet.get(1).prober().probeOnce() > 0);
        assertThat(fleet.get(0).cooldowns().isBlocked("nvidia-1")).isTrue();
        // the probe is a real one-token completion: the catalogue (GET /models) answers, the completion does not,
        // so the account stays blocked; nothing but probes reached it
        assertThat(simulator.calls().all())
                .filteredOn(c -> "nvidia-1".equals(c.account()) && c.atMillis() > openedAt)
                .isNotEmpty()
                .allSatisfy(c -> {
                    assertThat(c.jobId()).isEqualTo("probe-nvidia-1");
                    assertThat(c.path()).isEqualTo("/v1/chat/completions");
                    assertThat(c.status()).isEqualTo(503);
                });

        simulator.clearFaults("nvidia-1");
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            fleet.get(0).prober().probeOnce();
            return !fleet.get(1).cooldowns().isBlocked("nvidia-1");
        });
        assertThat(fleet.get(1)
                        .dispatcher()
                        .dispatch(
                                Job.chat("back", "x").toBuilder()
                                        .tier(Tier.TIER_1)
                                        .build(),
                                Priority.HIGH)
                        .account())
                .isEqualTo("nvidia-1");
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

    @Test
    void malformed_answers_are_retried_or_failed_over() throws Exception {
        startSimulator(LatencyModel.NONE);
        List<Worker> fleet = List.of(worker());
        simulator.inject(Fault.of("hunyuan-1", "malformed", 1.0));
        simulator.inject(Fault.of("nvidia-1", "malformed", 0.5));
        List<DispatchOutcome> outcomes = runAll(fleet, jobs("mal-", 30, Tier.TIER_2));
        assertThat(outcomes).allSatisfy(o -> {
            assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(o.response().path("choices").isArray()).isTrue();
        });
        assertThat(outcomes)
                .flatExtracting(DispatchOutcome::attempts)
                .extracting(a -> a.error())
                .containsOnly("malformed_response");
    }

    @Test
    void ends_in_emergency_when_every_provider_is_down() throws Exception {
        startSimulator(LatencyModel.NONE);
        Worker w = worker();
        simulator.inject(Fault.of("*", "down", 1.0));
        // the first jobs fail over every account; circuits open along the way
        for (Job job : jobs("dark-", 6, Tier.TIER_2)) {
            DispatchOutcome o = w.dispatcher().dispatch(job, Priority.MEDIUM);
            assertThat(o.status()).isEqualTo(JobStatus.FAILED);
        }
        runAll(List.of(w), List.of(Job.embedding("dark-e1", "x"), Job.embedding("dark-e2", "x")));
        await().atMost(Duration.ofSeconds(5)).until(w.emergency()::check);
        DispatchOutcome last = w.dispatcher().dispatch(Job.chat("dark-last", "x"), Priority.HIGH);
        assertThat(last.error().code()).isEqualTo(ErrorCode.EMERGENCY);
        assertThat(last.error().message()).contains("circuit open");
    }
}
