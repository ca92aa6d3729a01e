package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.internal.JobDispatcher;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.dispatch.internal.provider.ProviderClient;
import dev.llmdispatch.dispatch.internal.provider.ProviderReply;
import dev.llmdispatch.dispatch.internal.provider.WriteGate;
import dev.llmdispatch.dispatch.internal.resilience.AccountHealth;
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.dispatch.internal.routing.RoutePlanner;
import dev.llmdispatch.dispatch.redis.RedisConnections;
import dev.llmdispatch.dispatch.redis.RedisStores;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** The dispatcher against real HTTP (the simulator with the default accounts) and real Redis. */
@IntegrationTest
class JobDispatcherTest {

    private final RedissonClient redis;
    private Simulator simulator;
    private ProviderClient client;
    private CapacityGate gate;
    private Cooldowns cooldowns;
    private AccountHealth health;
    private JobDispatcher dispatcher;

    JobDispatcherTest(Infrastructure infra) {
        this.redis = RedisConnections.create(infra.redisUrl());
    }

    @BeforeEach
    void start() {
        simulator = Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.NONE));
        DispatchSettings settings = TestSettings.settings(TestSettings.defaultProviders(simulator.baseUrl()));
        client = new ProviderClient();
        CapacitySettings capacity = TestSettings.capacity();
        cooldowns = new Cooldowns(new RedisStores(redis, capacity.keyPrefix()).blocks(), Clock.systemUTC());
        health = new AccountHealth(RESILIENCE, cooldowns, HealthEvents.NONE);
        gate = new CapacityGate(
                new RedisStores(redis, capacity.keyPrefix()).capacity(),
                settings,
                capacity,
                Clock.systemUTC(),
                cooldowns);
        dispatcher = dispatcher(settings);
    }

    private static final ResilienceSettings RESILIENCE = new ResilienceSettings(
            3,
            Duration.ofMillis(20),
            Duration.ofMillis(100),
            Duration.ofSeconds(5),
            null,
            null,
            null,
            5,
            null,
            Duration.ofSeconds(2));

    private JobDispatcher dispatcher(DispatchSettings settings) {
        return dispatcher(settings, AttemptLog.NONE);
    }

    private JobDispatcher dispatcher(DispatchSettings settings, AttemptLog attempts) {
        return JobDispatcher.builder(new RoutePlanner(settings), client, gate, health, RESILIENCE)
                .attemptLog(attempts)
                .build();
    }

    @AfterEach
    void stop() {
        gate.close();
        cooldowns.close();
        client.close();
        simulator.close();
        redis.shutdown();
    }

    private DispatchOutcome dispatch(Job job) throws InterruptedException {
        return dispatcher.dispatch(job, Priority.MEDIUM);
    }

    @Test
    void sends_tier_1_to_nvidia_with_its_model_and_thinking_flags() throws Exception {
        DispatchOutcome outcome =
                dispatch(Job.chat("t1", "prove it").toBuilder().thinking(true).build());
        assertThat(outcome.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(outcome.tier()).isEqualTo(Tier.TIER_1);
        assertThat(outcome.account()).isEqualTo("nvidia-1");
        assertThat(outcome.model()).isEqualTo("deepseek-ai/deepseek-v3.1");
        assertThat(outcome.response()
                        .path("choices")
                        .get(0)
                        .path("message")
                        .path("reasoning_content")
                        .asString())
                .isNotEmpty();
        assertThat(simulator.calls().all())
                .singleElement()
                .extracting(CallLog.Call::jobId)
                .isEqualTo("t1");
    }

    @Test
    void calls_cut_off_by_a_shutdown_count_nothing_against_the_account_and_keep_their_permits() throws Exception {
        simulator.inject(Fault.slow("nvidia-1", 10_000));
        List<Thread> jobs = new ArrayList<>();
        AtomicInteger interrupted = new AtomicInteger();
        for (int i = 0; i < 5; i++) {
            Job job = Job.chat("cut-" + i, "prove it").toBuilder()
                    .tier(Tier.TIER_1)
                    .build();
            jobs.add(Thread.ofVirtual().start(() -> {
                try {
                    dispatch(job);
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                }
            }));
        }
        Awaitility.await().until(() -> (int) simulator.stats().get("nvidia-1").get("inFlight") == 5);
        jobs.forEach(Thread::interrupt); // a worker shutting down, or losing the partitions of these jobs
        for (Thread t : jobs) {
            t.join();
        }
        assertThat(interrupted).hasValue(5);
        // five cut-off calls are not five failures: no open circuit, no fleet-wide block
        assertThat(health.circuitStates().getOrDefault("nvidia-1", CircuitBreaker.State.CLOSED))
                .isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(cooldowns.isBlocked("nvidia-1")).isFalse();
        // the provider is still generating them: their permits keep counting until their leases end
        assertThat(gate.usage("nvidia-1").inFlight()).isEqualTo(5);
    }

    @Test
    void a_request_is_let_go_at_the_last_moment_and_its_leaving_is_told_once() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "m");
        body.putArray("messages").addObject().put("role", "user").put("content", "hi");
        ProviderReply sent = client.post(
                simulator.baseUrl(),
                "chat/completions",
                "sim-hunyuan-1",
                body,
                "gate-1",
                Duration.ofSeconds(5),
                new WriteGate() {
                    @Override
                    public boolean mayWrite() {
                        events.add("asked");
                        return true;
                    }

                    @Override
                    public void left() {
                        events.add("left");
                    }
                });
        assertThat(sent.status()).isEqualTo(200);
        assertThat(events).containsExactly("asked", "left");
        events.clear();
        ProviderReply held = client.post(
                simulator.baseUrl(),
                "chat/completions",
                "sim-hunyuan-1",
                body,
                "gate-2",
                Duration.ofSeconds(5),
                new WriteGate() {
                    @Override
                    public boolean mayWrite() {
                        events.add("asked");
                        return false;
                    }

                    @Override
                    public void left() {
                        events.add("left");
                    }
                });
        assertThat(held.heldBack()).isTrue();
        assertThat(events).containsExactly("asked");
        assertThat(simulator.calls().all()).hasSize(1); // the held-back request never reached the provider
    }

    @Test
    void sends_tier_2_to_hunyuan_and_embeddings_to_siliconflow() throws Exception {
        assertThat(dispatch(Job.chat("t2", "hi")).account()).isEqualTo("hunyuan-1");
        DispatchOutcome embedding = dispatch(Job.embedding("e1", "text"));
        assertThat(embedding.account()).isEqualTo("siliconflow-1");
        assertThat(embedding.model()).isEqualTo("BAAI/bge-m3");
    }

    @Test
    void puts_tier_1_on_nvidia_while_it_has_room_then_on_hunyuan() throws Exception {
        simulator.close();
        simulator = Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(500))
                .withPort(0));
        DispatchSettings settings = TestSettings.settings(TestSettings.defaultProviders(simulator.baseUrl()));
        JobDispatcher slow = dispatcher(settings);
        var pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<DispatchOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Job job = Job.chat("spill-" + i, "x").toBuilder().tier(Tier.TIER_1).build();
            outcomes.add(pool.submit(() -> slow.dispatch(job, Priority.MEDIUM)));
        }
        Map<String, Integer> byAccount = new TreeMap<>();
        for (var f : outcomes) {
            byAccount.merge(f.get().account(), 1, Integer::sum);
        }
        // 5 in flight on each NVIDIA account, the rest on Hunyuan: nobody waits while an account has room
        assertThat(byAccount)
                .containsEntry("nvidia-1", 5)
                .containsEntry("nvidia-2", 5)
                .containsEntry("hunyuan-1", 2);
        pool.shutdown();
    }

    @Test
    void answers_no_route_for_a_prompt_larger_than_every_context_window() throws Exception {
        DispatchOutcome outcome = dispatch(Job.chat("huge", "x".repeat(4 * 300_000)));
        assertThat(outcome.error().code()).isEqualTo(ErrorCode.NO_ROUTE);
        assertThat(outcome.error().message()).contains("300004 tokens");
        assertThat(simulator.calls().all()).isEmpty();
    }

    @Test
    void falls_back_along_the_chain_when_an_account_fails() throws Exception {
        simulator.inject(Fault.of("hunyuan-1", "down", 1.0));
        DispatchOutcome outcome = dispatch(Job.chat("f1", "hi"));
        assertThat(outcome.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(outcome.account()).isEqualTo("nvidia-1");
        // three calls on the failing account (backoff between them), then the next one
        assertThat(outcome.attempts()).hasSize(3).allSatisfy(a -> {
            assertThat(a.account()).isEqualTo("hunyuan-1");
            assertThat(a.status()).isEqualTo(503);
            assertThat(a.error()).isEqualTo("server_error");
        });
    }

    @Test
    void fails_with_every_attempt_when_the_whole_chain_fails() throws Exception {
        simulator.inject(Fault.of("*", "malformed", 1.0));
        DispatchOutcome outcome =
                dispatch(Job.chat("a1", "hi").toBuilder().tier(Tier.TIER_3).build());
        assertThat(outcome.status()).isEqualTo(JobStatus.FAILED);
        assertThat(outcome.error().code()).isEqualTo(ErrorCode.ALL_PROVIDERS_FAILED);
        assertThat(outcome.attempts())
                .extracting(a -> a.account())
                .containsExactly(
                        "hunyuan-1",
                        "hunyuan-1",
                        "hunyuan-1",
                        "nvidia-1",
                        "nvidia-1",
                        "nvidia-1",
                        "nvidia-2",
                        "nvidia-2",
                        "nvidia-2");
        assertThat(outcome.attempts()).extracting(a -> a.error()).containsOnly("malformed_response");
        assertThat(outcome.error().message()).contains("hunyuan-1: 200 malformed_response x3");
    }

    @Test
    void fails_fast_when_the_provider_refuses_the_request_itself() throws Exception {
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.putArray("messages");
        DispatchOutcome outcome = dispatch(Job.builder("bad").request(request).build());
        assertThat(outcome.error().code()).isEqualTo(ErrorCode.PROVIDER_REJECTED);
        assertThat(simulator.calls().all()).hasSize(1);
    }

    @Test
    void answers_no_route_when_no_account_has_the_capability() throws Exception {
        DispatchSettings noEmbeddings = new DispatchSettings(
                null,
                null,
                TestSettings.defaultProviders(simulator.baseUrl()),
                Map.of("EMBEDDING", List.of("hunyuan")),
                null,
                0);
        DispatchOutcome outcome = dispatcher(noEmbeddings).dispatch(Job.embedding("nr", "x"), Priority.LOW);
        assertThat(outcome.error().code()).isEqualTo(ErrorCode.NO_ROUTE);
        assertThat(simulator.calls().all()).isEmpty();
    }

    @Test
    void never_puts_the_api_key_in_an_outcome() throws Exception {
        simulator.inject(Fault.status("hunyuan-1", 401));
        simulator.inject(Fault.of("nvidia-1", "down", 1.0));
        simulator.inject(Fault.of("nvidia-2", "flaky", 1.0));
        DispatchOutcome outcome = dispatch(Job.chat("k1", "hi"));
        assertThat(outcome.toString()).doesNotContain("sim-hunyuan-1", "sim-nvidia-1", "sim-nvidia-2");
    }

    @Test
    void a_job_tried_before_on_another_worker_goes_on_with_the_attempts_it_has_left() throws Exception {
        DispatchSettings settings = TestSettings.settings(TestSettings.defaultProviders(simulator.baseUrl()));
        AttemptLog log = new RedisStores(redis, "attempts-" + UUID.randomUUID()).attempts();
        JobDispatcher resuming = dispatcher(settings, log);
        // the first worker made two failed calls on nvidia-1, then lost the job's partition
        log.failed("moved-1", new JobResult.Attempt("nvidia-1", 500, "server_error", 12));
        log.failed("moved-1", new JobResult.Attempt("nvidia-1", 500, "server_error", 15));
        Awaitility.await().until(() -> log.load("moved-1").size() == 2);
        simulator.inject(Fault.of("nvidia-1", "flaky", 1.0));

        DispatchOutcome outcome = resuming.dispatch(
                Job.chat("moved-1", "x").toBuilder().tier(Tier.TIER_1).build(), Priority.MEDIUM);

        assertThat(outcome.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(outcome.account()).isEqualTo("nvidia-2");
        // one call left on nvidia-1 (3 in all), then the next account
        assertThat(simulator.calls().all())
                .filteredOn(c -> "nvidia-1".equals(c.account()))
                .hasSize(1);
        assertThat(outcome.attempts())
                .extracting(JobResult.Attempt::account)
                .containsExactly("nvidia-1", "nvidia-1", "nvidia-1");
        Awaitility.await().until(() -> log.load("moved-1").isEmpty());
    }
}
