package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.internal.JobDispatcher;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.dispatch.internal.capacity.InMemoryCapacityStore;
import dev.llmdispatch.dispatch.internal.resilience.AccountHealth;
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.dispatch.internal.routing.RoutePlanner;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.BlockStore;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The dispatcher's rules (routing, retries, fallback along the chain, fail-fast, the attempt budget carried between
 * workers, calls cut off, requests held back at the last moment) on providers and stores in memory: no Redis, no
 * HTTP. {@link ProviderClientTest} covers the HTTP side; the fleet tests run the same rules over Redis and Kafka.
 */
class JobDispatcherTest {

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
            Duration.ofSeconds(2));

    private final DispatchSettings settings =
            TestSettings.settings(TestSettings.defaultProviders("http://providers.invalid/v1"));

    @AutoClose
    private final FakeProviders providers = new FakeProviders(settings);

    @AutoClose
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    private final Cooldowns cooldowns = new Cooldowns(BlockStore.inMemory(), Clock.systemUTC());
    private final AccountHealth health = new AccountHealth(RESILIENCE, cooldowns, HealthEvents.NONE);
    private CapacityGate gate;
    private JobDispatcher dispatcher;

    @BeforeEach
    void start() {
        gate = new CapacityGate(
                        new InMemoryCapacityStore(Clock.systemUTC()),
                        settings,
                        TestSettings.capacity(),
                        Clock.systemUTC(),
                        cooldowns)
                .start();
        dispatcher = dispatcher(settings, AttemptLog.NONE);
    }

    @AfterEach
    void stop() {
        providers.release();
        gate.close();
        cooldowns.close();
    }

    private JobDispatcher dispatcher(DispatchSettings settings, AttemptLog attempts) {
        return JobDispatcher.builder(new RoutePlanner(settings), providers, gate, health, RESILIENCE)
                .attemptLog(attempts)
                .build();
    }

    private DispatchOutcome dispatch(Job job) throws InterruptedException {
        return dispatcher.dispatch(job, Priority.MEDIUM);
    }

    private static Job tier1(String id) {
        return Job.chat(id, "prove it").toBuilder().tier(Tier.TIER_1).build();
    }

    @Test
    void sends_tier_1_to_nvidia_with_its_model_and_thinking_flag() throws Exception {
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
                .isEqualTo("thought about t1");
        FakeProviders.Call call = providers.calls().getFirst();
        assertThat(providers.calls()).hasSize(1);
        assertThat(call.path()).isEqualTo("chat/completions");
        assertThat(call.body().path("model").asString()).isEqualTo("deepseek-ai/deepseek-v3.1");
        assertThat(call.body().path("chat_template_kwargs").path("thinking").asBoolean())
                .isTrue();
    }

    @Test
    void sends_tier_2_to_hunyuan_and_embeddings_to_siliconflow() throws Exception {
        assertThat(dispatch(Job.chat("t2", "hi")).account()).isEqualTo("hunyuan-1");
        DispatchOutcome embedding = dispatch(Job.embedding("e1", "text"));
        assertThat(embedding.account()).isEqualTo("siliconflow-1");
        assertThat(embedding.model()).isEqualTo("BAAI/bge-m3");
        assertThat(providers.calls())
                .extracting(FakeProviders.Call::path)
                .containsExactly("chat/completions", "embeddings");
    }

    @Test
    void puts_tier_1_on_nvidia_while_it_has_room_then_on_hunyuan() throws Exception {
        providers.answer("*", providers.held());
        List<Future<DispatchOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Job job = tier1("spill-" + i);
            outcomes.add(pool.submit(() -> dispatch(job)));
        }
        // 5 in flight on each NVIDIA account, the rest on Hunyuan: nobody waits while an account has room
        await().until(() ->
                providers.inFlight("nvidia-1") + providers.inFlight("nvidia-2") + providers.inFlight("hunyuan-1")
                        == 12);
        assertThat(providers.inFlight("nvidia-1")).isEqualTo(5);
        assertThat(providers.inFlight("nvidia-2")).isEqualTo(5);
        providers.release();
        Map<String, Integer> byAccount = new TreeMap<>();
        for (var f : outcomes) {
            byAccount.merge(f.get().account(), 1, Integer::sum);
        }
        assertThat(byAccount)
                .containsExactly(Map.entry("hunyuan-1", 2), Map.entry("nvidia-1", 5), Map.entry("nvidia-2", 5));
    }

    @Test
    void calls_cut_off_by_a_shutdown_count_nothing_against_the_account_and_keep_their_permits() throws Exception {
        providers.answer("nvidia-1", providers.held());
        List<Future<?>> jobs = new ArrayList<>();
        AtomicInteger interrupted = new AtomicInteger();
        for (int i = 0; i < 5; i++) {
            Job job = tier1("cut-" + i);
            jobs.add(pool.submit(() -> {
                try {
                    dispatch(job);
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                }
            }));
        }
        await().until(() -> providers.inFlight("nvidia-1") == 5);
        jobs.forEach(f -> f.cancel(true)); // a worker shutting down, or losing the partitions of these jobs
        await().until(() -> interrupted.get() == 5);
        // five cut-off calls are not five failures: no open circuit, no fleet-wide block
        assertThat(health.circuitStates().getOrDefault("nvidia-1", CircuitBreaker.State.CLOSED))
                .isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(cooldowns.isBlocked("nvidia-1")).isFalse();
        // the provider may still be generating them: their permits keep counting until their leases end
        assertThat(gate.usage("nvidia-1").inFlight()).isEqualTo(5);
    }

    @Test
    void a_request_whose_grant_aged_past_the_guard_is_held_back_and_asks_again() throws Exception {
        // the JVM stalls between the grant and the send, past the 50 ms window guard, on the first request only
        providers.stallBeforeSend(Duration.ofMillis(120), 1);

        DispatchOutcome outcome = dispatch(Job.chat("late", "hi"));

        assertThat(outcome.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(outcome.attempts()).isEmpty(); // held back is not a failed call
        assertThat(providers.sendChecks()).isEqualTo(2);
        assertThat(providers.calls()).hasSize(1); // the held-back request never reached the provider
        assertThat(gate.usage("hunyuan-1").inFlight()).isZero();
    }

    @Test
    void answers_no_route_for_a_prompt_larger_than_every_context_window() throws Exception {
        DispatchOutcome outcome = dispatch(Job.chat("huge", "x".repeat(4 * 300_000)));
        assertThat(outcome.error().code()).isEqualTo(ErrorCode.NO_ROUTE);
        assertThat(outcome.error().message()).contains("300004 tokens");
        assertThat(providers.calls()).isEmpty();
    }

    @Test
    void answers_no_route_when_no_account_has_the_capability() throws Exception {
        DispatchSettings noEmbeddings = new DispatchSettings(
                null,
                null,
                TestSettings.defaultProviders("http://providers.invalid/v1"),
                Map.of("EMBEDDING", List.of("hunyuan")),
                null,
                0);
        DispatchOutcome outcome =
                dispatcher(noEmbeddings, AttemptLog.NONE).dispatch(Job.embedding("nr", "x"), Priority.LOW);
        assertThat(outcome.error().code()).isEqualTo(ErrorCode.NO_ROUTE);
        assertThat(providers.calls()).isEmpty();
    }

    @Test
    void falls_back_along_the_chain_when_an_account_fails() throws Exception {
        providers.answer("hunyuan-1", FakeProviders.down());
        DispatchOutcome outcome = dispatch(Job.chat("f1", "hi"));
        assertThat(outcome.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(outcome.account()).isEqualTo("nvidia-1");
        // three calls on the failing account (backoff between them), then the next one
        assertThat(outcome.attempts()).hasSize(3).allSatisfy(a -> {
            assertThat(a.account()).isEqualTo("hunyuan-1");
            assertThat(a.status()).isEqualTo(503);
            assertThat(a.error()).isEqualTo("server_error");
        });
        assertThat(providers.calls())
                .extracting(FakeProviders.Call::account)
                .containsExactly("hunyuan-1", "hunyuan-1", "hunyuan-1", "nvidia-1");
    }

    @Test
    void fails_with_every_attempt_when_the_whole_chain_fails() throws Exception {
        providers.answer("*", FakeProviders.malformed());
        DispatchOutcome outcome =
                dispatch(Job.chat("a1", "hi").toBuilder().tier(Tier.TIER_3).build());
        assertThat(outcome.status()).isEqualTo(JobStatus.FAILED);
        assertThat(outcome.error().code()).isEqualTo(ErrorCode.ALL_PROVIDERS_FAILED);
        assertThat(outcome.attempts())
                .extracting(JobResult.Attempt::account)
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
        assertThat(outcome.attempts()).extracting(JobResult.Attempt::error).containsOnly("malformed_response");
        assertThat(outcome.error().message()).contains("hunyuan-1: 200 malformed_response x3");
        assertThat(providers.calls()).hasSize(9);
    }

    @Test
    void fails_fast_when_the_provider_refuses_the_request_itself() throws Exception {
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.putArray("messages");
        DispatchOutcome outcome = dispatch(Job.builder("bad").request(request).build());
        assertThat(outcome.error().code()).isEqualTo(ErrorCode.PROVIDER_REJECTED);
        assertThat(outcome.error().message()).contains("hunyuan-1 refused the request", "messages");
        assertThat(providers.calls()).hasSize(1);
    }

    @Test
    void a_job_tried_before_on_another_worker_goes_on_with_the_attempts_it_has_left() throws Exception {
        AttemptLog log = AttemptLog.inMemory();
        JobDispatcher resuming = dispatcher(settings, log);
        // the first worker made two failed calls on nvidia-1, then lost the job's partition
        log.failed("moved-1", new JobResult.Attempt("nvidia-1", 500, "server_error", 12));
        log.failed("moved-1", new JobResult.Attempt("nvidia-1", 500, "server_error", 15));
        providers.answer("nvidia-1", FakeProviders.down());

        DispatchOutcome outcome = resuming.dispatch(tier1("moved-1"), Priority.MEDIUM);

        assertThat(outcome.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(outcome.account()).isEqualTo("nvidia-2");
        // one call left on nvidia-1 (3 in all), then the next account
        assertThat(providers.calls("nvidia-1")).hasSize(1);
        assertThat(outcome.attempts())
                .extracting(JobResult.Attempt::account)
                .containsExactly("nvidia-1", "nvidia-1", "nvidia-1");
        assertThat(log.load("moved-1")).isEmpty(); // the job ended: its attempts are in its outcome
    }
}
