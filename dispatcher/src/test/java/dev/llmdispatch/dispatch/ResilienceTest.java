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
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.internal.JobDispatcher;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.dispatch.internal.capacity.InMemoryCapacityStore;
import dev.llmdispatch.dispatch.internal.resilience.AccountHealth;
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.dispatch.internal.resilience.EmergencyMonitor;
import dev.llmdispatch.dispatch.internal.resilience.HealthProber;
import dev.llmdispatch.dispatch.internal.routing.RoutePlanner;
import dev.llmdispatch.dispatch.spi.BlockStore;
import dev.llmdispatch.dispatch.spi.EmergencyFlag;
import dev.llmdispatch.dispatch.spi.ProbeTurns;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * The fault-tolerance rules with two "workers" (each its own gate, cooldowns, circuit breakers, prober and
 * dispatcher) sharing the fleet's stores, here in memory, against providers in memory: a 429 rests an account
 * fleet-wide, a refused key disables it, a down account opens its circuit and sees only probes, malformed answers
 * are retried, and every provider down is an emergency. {@link FaultFloodTest} runs a flood of faults over Redis
 * and HTTP.
 */
class ResilienceTest {

    private static final ResilienceSettings RESILIENCE = new ResilienceSettings(
            3,
            Duration.ofMillis(1),
            Duration.ofMillis(5),
            Duration.ofSeconds(5),
            null,
            null,
            null,
            5,
            null,
            Duration.ofMillis(200));

    private final DispatchSettings settings =
            TestSettings.settings(TestSettings.defaultProviders("http://providers.invalid/v1"));

    @AutoClose
    private final FakeProviders providers = new FakeProviders(settings);

    /** The fleet's shared stores. */
    private final InMemoryCapacityStore capacity = new InMemoryCapacityStore(Clock.systemUTC());

    private final BlockStore blocks = BlockStore.inMemory();
    private final ProbeTurns turns = ProbeTurns.inMemory(Clock.systemUTC());
    private final EmergencyFlag emergencyFlag = EmergencyFlag.inMemory();
    private final CapacitySettings capacitySettings = TestSettings.capacity();

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> alerts = new ConcurrentLinkedQueue<>();

    @AutoClose
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    /** One worker's dispatch stack. */
    private record Worker(
            JobDispatcher dispatcher, HealthProber prober, EmergencyMonitor emergency, Cooldowns cooldowns) {}

    private Worker worker() {
        Cooldowns cooldowns = new Cooldowns(blocks, Clock.systemUTC());
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
                new CapacityGate(capacity, settings, capacitySettings, Clock.systemUTC(), cooldowns).start();
        toClose.add(gate);
        EmergencyMonitor emergency = new EmergencyMonitor(settings, cooldowns, emergencyFlag, events);
        HealthProber prober =
                new HealthProber(settings, providers, health, turns, Duration.ofMillis(100), events, gate, RESILIENCE);
        JobDispatcher dispatcher = JobDispatcher.builder(
                        new RoutePlanner(settings), providers, gate, health, RESILIENCE)
                .emergency(emergency::active)
                .build();
        return new Worker(dispatcher, prober, emergency, cooldowns);
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private List<DispatchOutcome> runAll(List<Worker> workers, List<Job> jobs) throws Exception {
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
    void a_429_rests_the_account_across_the_fleet_for_its_retry_after() throws Exception {
        List<Worker> fleet = List.of(worker(), worker());
        providers.answer("hunyuan-1", FakeProviders.rateLimited(Duration.ofMillis(400)));

        // one worker meets the 429; the other has never called hunyuan-1
        DispatchOutcome first = runAll(List.of(fleet.get(0)), jobs("storm-first-", 1, Tier.TIER_2))
                .get(0);
        assertThat(first.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(first.account()).startsWith("nvidia");
        long rateLimitedAt = providers.calls("hunyuan-1").getFirst().arrivedNanos();
        assertThat(fleet.get(1).cooldowns().isBlocked("hunyuan-1")).isTrue();

        List<DispatchOutcome> outcomes = runAll(fleet, jobs("storm-", 40, Tier.TIER_2));

        assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED));
        // no call reaches hunyuan-1 until its Retry-After is over
        assertThat(providers.calls("hunyuan-1"))
                .filteredOn(c -> c.arrivedNanos()
                        < rateLimitedAt + Duration.ofMillis(400).toNanos())
                .as("calls to hunyuan-1 while it rests")
                .hasSize(1);
        // the rest ends by itself: once it is over, the account takes work again
        providers.heal();
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
        List<Worker> fleet = List.of(worker(), worker());
        providers.answer("hunyuan-1", FakeProviders.status(401));
        assertThat(runAll(fleet, jobs("key-first-", 1, Tier.TIER_2)).get(0).account())
                .startsWith("nvidia");

        List<DispatchOutcome> outcomes = runAll(fleet, jobs("key-", 20, Tier.TIER_2));

        assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED));
        assertThat(providers.calls("hunyuan-1")).hasSize(1);
        assertThat(alerts).containsExactly("disabled hunyuan-1");
        assertThat(fleet.get(1).cooldowns().blocked("hunyuan-1"))
                .get()
                .extracting(AccountBlock::reason)
                .isEqualTo(BlockReason.UNAUTHORIZED);
    }

    @Test
    void a_down_account_opens_its_circuit_then_sees_only_probes_until_it_recovers() throws Exception {
        List<Worker> fleet = List.of(worker(), worker());
        // its catalogue answers (GET /models); its completions do not
        providers.answer("nvidia-1", FakeProviders.down());
        for (Job job : jobs("down-a-", 4, Tier.TIER_1)) {
            // one by one: the circuit opens after 5 consecutive failures
            assertThat(fleet.get(0).dispatcher().dispatch(job, Priority.HIGH).status())
                    .isEqualTo(JobStatus.SUCCEEDED);
        }
        assertThat(alerts).containsExactly("circuit nvidia-1");
        assertThat(fleet.get(1).cooldowns().isBlocked("nvidia-1")).isTrue();
        assertThat(providers.calls("nvidia-1")).hasSize(5);

        List<DispatchOutcome> outcomes = runAll(fleet, jobs("down-b-", 30, Tier.TIER_1));
        assertThat(outcomes).allSatisfy(o -> {
            assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(o.attempts()).isEmpty();
        });
        assertThat(providers.calls("nvidia-1")).hasSize(5);

        // one probe per interval for the fleet, a real one-token completion, which fails: still blocked
        assertThat(fleet.get(1).prober().probeOnce() + fleet.get(0).prober().probeOnce())
                .isEqualTo(1);
        assertThat(fleet.get(0).cooldowns().isBlocked("nvidia-1")).isTrue();
        assertThat(providers.calls("nvidia-1")).hasSize(6).last().satisfies(c -> {
            assertThat(c.jobId()).isEqualTo("probe-nvidia-1");
            assertThat(c.path()).isEqualTo("chat/completions");
            assertThat(c.body().path("max_tokens").asInt()).isEqualTo(1);
        });

        providers.heal();
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
    void malformed_answers_are_retried_or_failed_over() throws Exception {
        List<Worker> fleet = List.of(worker());
        providers.answer("hunyuan-1", FakeProviders.malformed());
        providers.answer("nvidia-1", FakeProviders.sometimes(0.5, 42, FakeProviders.malformed()));
        List<DispatchOutcome> outcomes = runAll(fleet, jobs("mal-", 30, Tier.TIER_2));
        assertThat(outcomes).allSatisfy(o -> {
            assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(o.response().path("choices").isArray()).isTrue();
        });
        assertThat(outcomes)
                .flatExtracting(DispatchOutcome::attempts)
                .isNotEmpty()
                .extracting(a -> a.error())
                .containsOnly("malformed_response");
    }

    @Test
    void ends_in_emergency_when_every_provider_is_down() throws Exception {
        Worker w = worker();
        providers.answer("*", FakeProviders.down());
        // the first jobs fail over every account; circuits open along the way
        for (Job job : jobs("dark-", 6, Tier.TIER_2)) {
            assertThat(w.dispatcher().dispatch(job, Priority.MEDIUM).status()).isEqualTo(JobStatus.FAILED);
        }
        runAll(List.of(w), List.of(Job.embedding("dark-e1", "x"), Job.embedding("dark-e2", "x")));
        assertThat(w.emergency().check()).isTrue();
        assertThat(alerts)
                .contains("circuit nvidia-1", "circuit nvidia-2", "circuit hunyuan-1", "circuit siliconflow-1");

        DispatchOutcome last = w.dispatcher().dispatch(Job.chat("dark-last", "x"), Priority.HIGH);

        assertThat(last.error().code()).isEqualTo(ErrorCode.EMERGENCY);
        assertThat(last.error().message()).contains("circuit open");
    }
}
